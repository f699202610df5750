/**
 * @module transport/decoded-requests
 * The decoded requests handed to stream/: plain fields, plus what is decoded
 * only on first use, as prototype getters (an object literal with getters is
 * built through a slow runtime path, a class instance is not; this is on
 * every ACK). The node is checked when the request is decoded and decoded
 * here only if a stream reads it, which it does on its first request alone
 * (rule A4), although Envoy repeats it on every ACK unless told otherwise.
 */
import type { DeltaRequest, ErrorDetail, NodeInfo, SotwRequest } from '../stream';
import { LENGTH_DELIMITED, WireReader } from '../xds/wire-reader';

/** Decodes node bytes that were already checked. */
export type NodeDecoder = (bytes: Buffer) => NodeInfo;

/** A DiscoveryRequest; `versionInfo`, `resourceNames` and `node` decode on first access. */
export class DecodedSotwRequest implements SotwRequest {
  readonly typeUrl: string;
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
  readonly nameCount: number;
  readonly namesKey: Buffer | undefined;
  readonly #bytes: Buffer;
  readonly #namesStart: number;
  #names: string[] | undefined;
  /** Where version_info lies in the bytes (start === end: absent or empty). */
  readonly #versionStart: number;
  readonly #versionEnd: number;
  #versionInfo: string | undefined;
  readonly #nodeBytes: Buffer | undefined;
  readonly #decodeNode: NodeDecoder;
  #node: NodeInfo | undefined;

  constructor(
    fields: Pick<SotwRequest, 'typeUrl' | 'responseNonce' | 'errorDetail' | 'nameCount' | 'namesKey'>,
    bytes: Buffer,
    namesStart: number,
    versionStart: number,
    versionEnd: number,
    nodeBytes: Buffer | undefined,
    decodeNode: NodeDecoder,
  ) {
    this.typeUrl = fields.typeUrl;
    this.responseNonce = fields.responseNonce;
    this.errorDetail = fields.errorDetail;
    this.nameCount = fields.nameCount;
    this.namesKey = fields.namesKey;
    this.#bytes = bytes;
    this.#namesStart = namesStart;
    this.#versionStart = versionStart;
    this.#versionEnd = versionEnd;
    this.#names = fields.nameCount === 0 ? [] : undefined;
    this.#nodeBytes = nodeBytes;
    this.#decodeNode = decodeNode;
  }

  get node(): NodeInfo | undefined {
    if (this.#nodeBytes && !this.#node) this.#node = this.#decodeNode(this.#nodeBytes);
    return this.#node;
  }

  get versionInfo(): string {
    return (this.#versionInfo ??= this.#versionStart === this.#versionEnd ? '' : this.#bytes.toString('utf8', this.#versionStart, this.#versionEnd));
  }

  get resourceNames(): string[] {
    const key = this.namesKey;
    return (this.#names ??= key ? readNames(key, 0, key.length) : readNames(this.#bytes, this.#namesStart, this.#bytes.length, this.nameCount));
  }
}

/** A DeltaDiscoveryRequest; `subscribe` and `node` decode on first access. */
export class DecodedDeltaRequest implements DeltaRequest {
  readonly typeUrl: string;
  readonly subscribeKey: Buffer | undefined;
  /** The bytes holding every subscribe name (other fields between them are skipped), already checked. */
  readonly #subscribeBytes: Buffer | undefined;
  #subscribe: readonly string[] | undefined;
  readonly unsubscribe: readonly string[];
  readonly initialVersions: ReadonlyMap<string, string>;
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
  readonly #nodeBytes: Buffer | undefined;
  readonly #decodeNode: NodeDecoder;
  #node: NodeInfo | undefined;

  constructor(fields: Omit<DeltaRequest, 'node' | 'subscribe'>, subscribeBytes: Buffer | undefined, nodeBytes: Buffer | undefined, decodeNode: NodeDecoder) {
    this.typeUrl = fields.typeUrl;
    this.subscribeKey = fields.subscribeKey;
    this.#subscribeBytes = subscribeBytes;
    this.#subscribe = subscribeBytes ? undefined : NO_NAMES;
    this.unsubscribe = fields.unsubscribe;
    this.initialVersions = fields.initialVersions;
    this.responseNonce = fields.responseNonce;
    this.errorDetail = fields.errorDetail;
    this.#nodeBytes = nodeBytes;
    this.#decodeNode = decodeNode;
  }

  get node(): NodeInfo | undefined {
    if (this.#nodeBytes && !this.#node) this.#node = this.#decodeNode(this.#nodeBytes);
    return this.#node;
  }

  get subscribe(): readonly string[] {
    const bytes = this.#subscribeBytes;
    return (this.#subscribe ??= bytes ? readNames(bytes, 0, bytes.length) : NO_NAMES);
  }
}

/** What an ACK subscribes to: shared, never written. */
const NO_NAMES: readonly string[] = Object.freeze([]);

/** Decode repeated string field 3 entries from `buf[from, to)` (already checked), skipping other fields (up to `limit` names). */
function readNames(buf: Buffer, from: number, to: number, limit = Number.POSITIVE_INFINITY): string[] {
  const names: string[] = [];
  const r = new WireReader(buf, from, to);
  while (!r.done && names.length < limit) {
    const tag = r.tag();
    if (tag >>> 3 === 3 && (tag & 7) === LENGTH_DELIMITED) names.push(r.string(3));
    else r.skip(tag & 7, tag >>> 3);
  }
  return names;
}

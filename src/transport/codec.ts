/**
 * @module transport/codec
 * Request decoding (protobufjs reflection, once per request) into the plain
 * shapes stream/ works with. Responses need no encoder: they are assembled
 * from stored bytes (response-builder.ts) and the gRPC serializer passes the
 * Buffer through.
 */
import type * as protobuf from 'protobufjs';
import type { DeltaRequest, NodeInfo, SotwRequest } from '../stream';
import { NamesInterner } from './names-interner';

/** Thrown for bytes that are not a valid request; ends only that stream. */
export class MalformedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRequestError';
  }
}

type Msg = Record<string, unknown>;

/** Decoders bound to one proto root. */
export class RequestCodec {
  readonly #delta: protobuf.Type;
  readonly #node: protobuf.Type;
  readonly #status: protobuf.Type;
  readonly #names = new NamesInterner();

  constructor(root: protobuf.Root) {
    this.#delta = root.lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
    this.#node = root.lookupType('envoy.config.core.v3.Node');
    this.#status = root.lookupType('google.rpc.Status');
  }

  /**
   * Decode a DiscoveryRequest by hand: the `resource_names` list (repeated on
   * every ACK) is interned as raw bytes and only decoded if a stream needs it.
   * Field numbers: docs/protocol.md §Field numbers.
   */
  decodeSotw(bytes: Buffer): SotwRequest {
    let versionInfo = '';
    let typeUrl = '';
    let responseNonce = '';
    let node: NodeInfo | undefined;
    let errorDetail: { code: number; message: string } | undefined;
    let namesStart = -1;
    let namesEnd = -1;
    let nameCount = 0;
    let contiguous = true;
    const r = new WireReader(bytes);
    while (!r.done) {
      const fieldStart = r.pos;
      const tag = r.varint();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (wireType !== 2) {
        r.skip(wireType);
        if (namesEnd !== -1) contiguous = false;
        continue;
      }
      const length = r.varint();
      const start = r.take(length);
      if (field === 3) {
        if (namesStart === -1) namesStart = fieldStart;
        else if (namesEnd !== fieldStart) contiguous = false;
        namesEnd = start + length;
        nameCount++;
        continue;
      }
      const payload = bytes.subarray(start, start + length);
      if (field === 1) versionInfo = payload.toString('utf8');
      else if (field === 4) typeUrl = internTypeUrl(payload.toString('utf8'));
      else if (field === 5) responseNonce = payload.toString('utf8');
      else if (field === 2) node = nodeOf(this.#decode(this.#node, payload));
      else if (field === 6) {
        const status = this.#decode(this.#status, payload);
        errorDetail = { code: Number(status['code'] ?? 0), message: str(status['message']) };
      }
    }
    const namesBytes = namesStart === -1 ? undefined : bytes.subarray(namesStart, namesEnd);
    const namesKey = namesBytes && contiguous ? this.#names.intern(namesBytes) : undefined;
    let decoded: string[] | undefined = nameCount === 0 ? [] : undefined;
    const source = namesKey ?? bytes;
    return {
      versionInfo,
      node,
      typeUrl,
      responseNonce,
      errorDetail,
      nameCount,
      namesKey,
      get resourceNames(): string[] {
        return (decoded ??= namesKey ? readNames(source, 0, source.length) : readNames(bytes, namesStart, bytes.length, nameCount));
      },
    };
  }

  /** Decode a DeltaDiscoveryRequest. */
  decodeDelta(bytes: Buffer): DeltaRequest {
    const m = this.#decode(this.#delta, bytes);
    const status = m['errorDetail'] as Msg | undefined;
    const initial = (m['initialResourceVersions'] as Record<string, string> | undefined) ?? {};
    return {
      node: m['node'] ? nodeOf(m['node'] as Msg) : undefined,
      typeUrl: internTypeUrl(str(m['typeUrl'])),
      subscribe: (m['resourceNamesSubscribe'] as string[] | undefined) ?? [],
      unsubscribe: (m['resourceNamesUnsubscribe'] as string[] | undefined) ?? [],
      initialVersions: new Map(Object.entries(initial)),
      responseNonce: str(m['responseNonce']),
      errorDetail: status ? { code: Number(status['code'] ?? 0), message: str(status['message']) } : undefined,
    };
  }

  #decode(type: protobuf.Type, bytes: Buffer): Msg {
    try {
      return type.decode(bytes) as unknown as Msg;
    } catch (err) {
      throw new MalformedRequestError(`request is not a valid ${type.name}: ${(err as Error).message}`);
    }
  }
}

/** Minimal protobuf wire reader with bounds checks (malformed input throws MalformedRequestError). */
class WireReader {
  pos = 0;
  readonly #buf: Buffer;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  get done(): boolean {
    return this.pos >= this.#buf.length;
  }

  varint(): number {
    let value = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.#buf.length) throw new MalformedRequestError('request is not a valid DiscoveryRequest: truncated varint');
      const byte = this.#buf[this.pos++] as number;
      value += (byte & 0x7f) * shift;
      if ((byte & 0x80) === 0) return value;
      shift *= 128;
    }
    throw new MalformedRequestError('request is not a valid DiscoveryRequest: varint too long');
  }

  /** Skip `length` bytes; returns where they start. */
  take(length: number): number {
    const start = this.pos;
    if (start + length > this.#buf.length) throw new MalformedRequestError('request is not a valid DiscoveryRequest: field runs past the end');
    this.pos += length;
    return start;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.take(8);
    else if (wireType === 5) this.take(4);
    else if (wireType === 2) this.take(this.varint());
    else throw new MalformedRequestError(`request is not a valid DiscoveryRequest: unsupported wire type ${wireType}`);
  }
}

/** Decode repeated string field 3 entries from `buf[from, to)`, skipping other fields (up to `limit` names). */
function readNames(buf: Buffer, from: number, to: number, limit = Number.POSITIVE_INFINITY): string[] {
  const names: string[] = [];
  const r = new WireReader(buf.subarray(0, to));
  r.pos = from;
  while (!r.done && names.length < limit) {
    const tag = r.varint();
    if ((tag & 7) !== 2) {
      r.skip(tag & 7);
      continue;
    }
    const length = r.varint();
    const start = r.take(length);
    if (tag >>> 3 === 3) names.push(buf.toString('utf8', start, start + length));
  }
  return names;
}

const typeUrls = new Map<string, string>();

/** One string object per type URL, however many requests name it (they key every stream's type map). */
function internTypeUrl(url: string): string {
  const known = typeUrls.get(url);
  if (known !== undefined) return known;
  if (typeUrls.size < 1000) typeUrls.set(url, url);
  return url;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function nodeOf(n: Msg): NodeInfo {
  const version = (n['userAgentVersion'] as string | undefined) ?? '';
  return {
    id: str(n['id']),
    cluster: str(n['cluster']),
    metadata: n['metadata'] ? structToJson(n['metadata'] as Msg) : {},
    clientFeatures: (n['clientFeatures'] as string[] | undefined) ?? [],
    userAgent: [str(n['userAgentName']), version].filter((s) => s !== '').join('/'),
  };
}

/** google.protobuf.Struct (as decoded by protobufjs) → plain JSON. */
function structToJson(s: Msg): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = (s['fields'] as Record<string, Msg> | undefined) ?? {};
  for (const [k, v] of Object.entries(fields)) out[k] = valueToJson(v);
  return out;
}

/** google.protobuf.Value → JSON. Its `kind` oneof is the member present as an own property: a decoded message inherits every member's default from its prototype, so `in` would always see `stringValue`. */
function valueToJson(v: Msg): unknown {
  const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(v, key) && v[key] !== null && v[key] !== undefined;
  if (has('stringValue')) return v['stringValue'];
  if (has('numberValue')) return v['numberValue'];
  if (has('boolValue')) return v['boolValue'];
  if (has('structValue')) return structToJson(v['structValue'] as Msg);
  if (has('listValue')) return (((v['listValue'] as Msg)['values'] as Msg[] | undefined) ?? []).map(valueToJson);
  return null;
}

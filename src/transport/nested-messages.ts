/**
 * @module transport/nested-messages
 * The messages nested in both discovery requests (the node, `error_detail`
 * as a google.rpc.Status, resource locators), bound to one proto root. Each
 * is checked against its schema (xds/wire-check) before anything reads it,
 * and its errors name the field it came in, so both decoders
 * (sotw-decoder.ts, delta-decoder.ts) refuse a bad nested message alike.
 */
import type * as protobuf from 'protobufjs';
import type { ErrorDetail, NodeInfo } from '../stream';
import { WireFormatError, WireReader } from '../xds/wire-reader';
import { WireLimitError, checkMessage } from '../xds/wire-check';
import { nodeOf } from './node-info';
import { RequestLimitError } from './request-errors';
import type { DecodeLimits } from './request-fields';

/** google.rpc.Status tags: code (1, varint) and message (2, length-delimited). */
const STATUS_CODE_TAG = 0x08;
const STATUS_MESSAGE_TAG = 0x12;

/** Checks (and decodes, where a decoder needs them) the nested messages of discovery requests. */
export class NestedMessages {
  readonly #node: protobuf.Type;
  readonly #status: protobuf.Type;
  readonly #locator: protobuf.Type;

  constructor(root: protobuf.Root) {
    this.#node = root.lookupType('envoy.config.core.v3.Node');
    this.#status = root.lookupType('google.rpc.Status');
    this.#locator = root.lookupType('envoy.service.discovery.v3.ResourceLocator');
  }

  /** Check node bytes strictly (malformed, or over the node entries limit, throws); returns them for a later decode. */
  checkNode(payload: Buffer, limits: DecodeLimits): Buffer {
    const maxEntries = limits.maxNodeEntries ?? Number.POSITIVE_INFINITY;
    try {
      checkMessage(this.#node, payload, { maxEntries });
    } catch (err) {
      if (err instanceof WireLimitError) throw new RequestLimitError('node-entries', nodeEntriesMessage(err, maxEntries));
      throw prefixed(err, 'node');
    }
    return payload;
  }

  /** Node bytes already checked by checkNode, decoded when a stream first reads the node (decoded-requests.ts). */
  readonly decodeNode = (payload: Buffer): NodeInfo => nodeOf(this.#node.decode(payload) as unknown as Record<string, unknown>);

  /** google.rpc.Status: checked (its `details` are counted, never decoded), then code and message read by hand. */
  decodeStatus(payload: Buffer, maxEntries: number): ErrorDetail {
    try {
      checkMessage(this.#status, payload, { maxEntries });
    } catch (err) {
      throw prefixed(err, 'error_detail');
    }
    let code = 0;
    let message = '';
    const r = new WireReader(payload);
    while (!r.done) {
      const tag = r.tag();
      if (tag === STATUS_CODE_TAG) code = r.int32();
      else if (tag === STATUS_MESSAGE_TAG) message = r.string(2);
      else r.skip(tag & 7, tag >>> 3);
    }
    return { code, message };
  }

  /** Check one resource locator (SotW field 7, delta fields 8 and 9); it is counted as a name by the caller. */
  checkLocator(payload: Buffer, maxEntries: number): void {
    checkMessage(this.#locator, payload, { maxEntries });
  }
}

function nodeEntriesMessage(err: WireLimitError, limit: number): string {
  return `request's node holds more than ${limit} repeated entries (reached at node.${err.path}); the limit is ${limit} (raise it with --max-node-entries or limits.maxNodeEntries)`;
}

/** Name a nested message in a wire error's message (limit errors carry their own path). */
function prefixed(err: unknown, field: string): unknown {
  if (err instanceof WireFormatError) return new WireFormatError(`${field}: ${err.message}`);
  if (err instanceof WireLimitError) return new WireLimitError(`${field}.${err.path}`, err.limit);
  return err;
}

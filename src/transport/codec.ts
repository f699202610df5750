/**
 * @module transport/codec
 * Request decoding into the plain shapes stream/ works with. Both discovery
 * requests are decoded by hand through the strict wire reader
 * (xds/wire-reader): every length, varint and wire type is checked, and the
 * names limit is enforced while names are counted, so a request with
 * millions of names is refused after reading the first `maxNames`, before
 * anything is built from them. Nested messages (node, error_detail,
 * resource locators) are checked against their schema (xds/wire-check)
 * before protobufjs decodes them. Responses need no encoder: they are
 * assembled from stored bytes (response-builder.ts) and the gRPC serializer
 * passes the Buffer through.
 */
import type * as protobuf from 'protobufjs';
import type { DeltaRequest, ErrorDetail, NodeInfo, SotwRequest } from '../stream';
import { LENGTH_DELIMITED, WireFormatError, WireReader, wireTypeName } from '../xds/wire-reader';
import { WireLimitError, checkMessage } from '../xds/wire-check';
import { knownTypeUrls } from '../xds/known-types';
import type { KnownTypeUrls } from '../xds/known-types';
import { NamesInterner } from './names-interner';
import { NAME_FIELD_TAG, scanNameRun } from './name-run';
import type { NameRun } from './name-run';
import { PlainAckReader } from './plain-ack';
import { TypeUrlBytes } from './type-url-bytes';
import { nodeOf } from './node-info';
import { DecodedDeltaRequest, DecodedSotwRequest } from './decoded-requests';
import { RequestLimitError, asRequestError, namesLimitMessage } from './request-errors';

export { MalformedRequestError, RequestLimitError } from './request-errors';

const SOTW = 'DiscoveryRequest';
const DELTA = 'DeltaDiscoveryRequest';
/** Tag of DiscoveryRequest.resource_names (field 3, length-delimited). */
const NAME_TAG = NAME_FIELD_TAG;
/** Tag of DeltaDiscoveryRequest.resource_names_subscribe (field 3, length-delimited). */
const SUBSCRIBE_TAG = NAME_FIELD_TAG;
/** google.rpc.Status tags: code (1, varint) and message (2, length-delimited). */
const STATUS_CODE_TAG = 0x08;
const STATUS_MESSAGE_TAG = 0x12;
/** Field names, for messages (docs/protocol.md §Field numbers). */
const SOTW_FIELDS = ['', 'version_info', 'node', 'resource_names', 'type_url', 'response_nonce', 'error_detail', 'resource_locators'];
const DELTA_FIELDS = [
  '',
  'node',
  'type_url',
  'resource_names_subscribe',
  'resource_names_unsubscribe',
  'initial_resource_versions',
  'response_nonce',
  'error_detail',
  'resource_locators_subscribe',
  'resource_locators_unsubscribe',
];

const NO_NAMES: readonly string[] = Object.freeze([]);

const NO_VERSIONS: ReadonlyMap<string, string> = new Map();

/** Per-request limits the decoders enforce while reading (transport/limits.ts holds the defaults). */
export interface DecodeLimits {
  /** Names (and resource locators) one request may carry. */
  readonly maxNames?: number;
  /** Repeated entries the node may hold. */
  readonly maxNodeEntries?: number;
}

/** Decoders bound to one proto root. */
export class RequestCodec {
  readonly #node: protobuf.Type;
  readonly #status: protobuf.Type;
  readonly #locator: protobuf.Type;
  readonly #types: KnownTypeUrls;
  readonly #names = new NamesInterner();
  /** Names in the list #recentListAt last found (a field, so the hot path allocates no result object). */
  #recentNames = 0;
  /** Where the last run of names ended and how many it held (scanNameRun writes it; reused, not allocated per request). */
  readonly #run: NameRun = { end: 0, names: 0 };
  readonly #plainAck: PlainAckReader;
  /** Known type URLs as requests spell them, for {@link #typeUrlAt}. */
  readonly #typeUrlBytes: TypeUrlBytes;

  constructor(root: protobuf.Root) {
    this.#node = root.lookupType('envoy.config.core.v3.Node');
    this.#status = root.lookupType('google.rpc.Status');
    this.#locator = root.lookupType('envoy.service.discovery.v3.ResourceLocator');
    this.#types = knownTypeUrls(root);
    this.#typeUrlBytes = new TypeUrlBytes(this.#types);
    this.#plainAck = new PlainAckReader(this.#typeUrlBytes);
  }

  /**
   * The reader holding `bytes` when they are a plain delta reply
   * (`type_url` of a known type, then `response_nonce`, nothing else: an
   * ACK or a stale reply, never a NACK; plain-ack.ts), else undefined and
   * the request needs decodeDelta. The reader is shared: use it before
   * reading the next request.
   */
  plainDeltaAck(bytes: Buffer): PlainAckReader | undefined {
    return this.#plainAck.read(bytes) ? this.#plainAck : undefined;
  }

  /**
   * Decode a DiscoveryRequest by hand: the `resource_names` list (repeated on
   * every ACK) is interned as raw bytes and only decoded if a stream needs it;
   * a list equal to one seen recently is recognised by one byte compare where
   * it starts, without scanning or hashing it.
   * More than `maxNames` names (or resource locators) is refused with
   * RequestLimitError as soon as they are counted; bad bytes throw
   * MalformedRequestError. The node is checked now and decoded on first use.
   * Field numbers: docs/protocol.md §Field numbers.
   */
  decodeSotw(bytes: Buffer, limits: DecodeLimits = {}): SotwRequest {
    const maxNames = limits.maxNames ?? Number.POSITIVE_INFINITY;
    // version_info is located, not decoded: a stream reads it only on a NACK or on a type's first request.
    let versionStart = 0;
    let versionEnd = 0;
    let typeUrl = '';
    let responseNonce = '';
    let nodeBytes: Buffer | undefined;
    let errorDetail: ErrorDetail | undefined;
    let namesStart = -1;
    let namesEnd = -1;
    let nameCount = 0;
    let locators = 0;
    let contiguous = true;
    /** The interned list, when recognised in place as a recent one. */
    let namesKey: Buffer | undefined;
    const r = new WireReader(bytes);
    try {
      while (!r.done) {
        const fieldStart = r.pos;
        if (bytes[fieldStart] === NAME_TAG) {
          if (namesStart === -1) {
            // An ACK repeats its stream's whole list: recognise it by one byte compare against the lists
            // seen recently, with no scan and no hashing (the scan below costs ~7 µs per 1000 names).
            const recent = this.#recentListAt(bytes, fieldStart);
            if (recent !== undefined && this.#recentNames + locators <= maxNames) {
              namesKey = recent;
              nameCount = this.#recentNames;
              namesStart = fieldStart;
              namesEnd = r.pos = fieldStart + recent.length;
              continue;
            }
          }
          // Fast path for the bulk of every ACK: a run of names shorter than 128 bytes (one-byte length),
          // counted against the limit as it is walked. Anything else (a longer name, a length past the end)
          // falls through to the checked path below.
          const run = this.#run;
          if (scanNameRun(bytes, fieldStart, maxNames - nameCount - locators, run) > 0) {
            nameCount += run.names;
            if (nameCount + locators > maxNames) throw new RequestLimitError('names', namesLimitMessage('resource names', maxNames));
            if (namesStart === -1) namesStart = fieldStart;
            else if (namesEnd !== fieldStart) contiguous = false;
            r.pos = namesEnd = run.end;
            continue;
          }
        }
        const tag = r.tag();
        const field = tag >>> 3;
        const wireType = tag & 7;
        if (field > 7) {
          r.skip(wireType, field);
          continue;
        }
        expectLengthDelimited(SOTW_FIELDS, field, wireType, fieldStart);
        const length = r.length(field);
        const start = r.pos;
        r.pos += length;
        if (field === 3) {
          if (++nameCount + locators > maxNames) throw new RequestLimitError('names', namesLimitMessage('resource names', maxNames));
          if (namesStart === -1) namesStart = fieldStart;
          else if (namesEnd !== fieldStart) contiguous = false;
          namesEnd = start + length;
          continue;
        }
        // The strings of every ACK are read in place: a subarray per field would be a Buffer object each.
        if (field === 1) {
          versionStart = start;
          versionEnd = start + length;
        } else if (field === 4) typeUrl = this.#typeUrlAt(bytes, start, start + length);
        else if (field === 5) responseNonce = bytes.toString('utf8', start, start + length);
        else if (field === 2) nodeBytes = this.#checkNode(bytes.subarray(start, start + length), limits);
        else if (field === 6) errorDetail = this.#decodeStatus(bytes.subarray(start, start + length), maxNames);
        else if (field === 7) {
          if (++locators + nameCount > maxNames) throw new RequestLimitError('names', namesLimitMessage('resource names', maxNames));
          checkMessage(this.#locator, bytes.subarray(start, start + length), { maxEntries: maxNames });
        }
      }
    } catch (err) {
      throw asRequestError(err, SOTW);
    }
    if (!contiguous) namesKey = undefined;
    else if (namesKey === undefined && namesStart !== -1) {
      namesKey = this.#names.intern(bytes.subarray(namesStart, namesEnd));
      if (namesKey !== undefined) this.#names.remember(namesKey, nameCount);
    }
    return new DecodedSotwRequest({ typeUrl, responseNonce, errorDetail, nameCount, namesKey }, bytes, namesStart, versionStart, versionEnd, nodeBytes, this.#nodeDecoder);
  }

  /**
   * Decode a DeltaDiscoveryRequest by hand. Subscribe, unsubscribe and
   * `initial_resource_versions` entries (and resource locators) are first
   * counted by their tags alone, so a request over `maxNames` is refused
   * with RequestLimitError before any name or map entry is built; bad bytes
   * throw MalformedRequestError.
   */
  decodeDelta(bytes: Buffer, limits: DecodeLimits = {}): DeltaRequest {
    const maxNames = limits.maxNames ?? Number.POSITIVE_INFINITY;
    let nodeBytes: Buffer | undefined;
    let typeUrl = '';
    let responseNonce = '';
    let errorDetail: ErrorDetail | undefined;
    // Most delta requests are ACKs with none of these: share empty ones (readonly to streams).
    let unsubscribe: string[] | undefined;
    // Subscribe names are located here and decoded only if a stream reads them (decoded-requests.ts).
    let subscribeStart = -1;
    let subscribeEnd = -1;
    let contiguous = true;
    let initialVersions: Map<string, string> | undefined;
    const r = new WireReader(bytes);
    try {
      countDeltaNames(bytes, maxNames);
      while (!r.done) {
        const fieldStart = r.pos;
        if (bytes[fieldStart] === SUBSCRIBE_TAG) {
          // Fast path for a delta Envoy's 1000-name subscribe: a run of names shorter than 128 bytes (one-byte
          // length), located without a reader call per name. Anything else falls through to the checked path.
          // countDeltaNames has refused any request over maxNames, so the limit never stops this walk.
          const run = this.#run;
          if (scanNameRun(bytes, fieldStart, maxNames, run) > 0) {
            if (subscribeStart === -1) subscribeStart = fieldStart;
            else if (subscribeEnd !== fieldStart) contiguous = false;
            r.pos = subscribeEnd = run.end;
            continue;
          }
        }
        const tag = r.tag();
        const field = tag >>> 3;
        const wireType = tag & 7;
        if (field > 9) {
          r.skip(wireType, field);
          continue;
        }
        expectLengthDelimited(DELTA_FIELDS, field, wireType, fieldStart);
        if (field === 2) typeUrl = this.#typeUrl(r.string(field));
        else if (field === 3) {
          const length = r.length(field);
          if (subscribeStart === -1) subscribeStart = fieldStart;
          else if (subscribeEnd !== fieldStart) contiguous = false;
          r.pos += length;
          subscribeEnd = r.pos;
        } else if (field === 4) (unsubscribe ??= []).push(r.string(field));
        else if (field === 5) readVersionEntry(r, (initialVersions ??= new Map()));
        else if (field === 6) responseNonce = r.string(field);
        else {
          const length = r.length(field);
          const payload = bytes.subarray(r.pos, r.pos + length);
          r.pos += length;
          if (field === 1) nodeBytes = this.#checkNode(payload, limits);
          else if (field === 7) errorDetail = this.#decodeStatus(payload, maxNames);
          else checkMessage(this.#locator, payload, { maxEntries: maxNames });
        }
      }
    } catch (err) {
      throw asRequestError(err, DELTA);
    }
    const subscribeBytes = subscribeStart === -1 ? undefined : bytes.subarray(subscribeStart, subscribeEnd);
    // The same list from thousands of streams is one Buffer: a stream's first subscribe can then reuse another's result (stream/delta-subscribes.ts).
    const subscribeKey = subscribeBytes && contiguous ? this.#names.intern(subscribeBytes) : undefined;
    return new DecodedDeltaRequest(
      { typeUrl, unsubscribe: unsubscribe ?? NO_NAMES, initialVersions: initialVersions ?? NO_VERSIONS, responseNonce, errorDetail, subscribeKey },
      subscribeKey ?? subscribeBytes,
      nodeBytes,
      this.#nodeDecoder,
    );
  }

  /**
   * The recently seen list that `bytes` holds at `at` as a whole run of
   * names (compared byte for byte, and not followed by a further name), or
   * undefined; its name count is left in {@link #recentNames}. A recent
   * list is a run of complete name fields that was checked when first
   * interned, so an equal span parses to the same names and ends on a field
   * boundary.
   */
  #recentListAt(bytes: Buffer, at: number): Buffer | undefined {
    for (const recent of this.#names.recent) {
      const key = recent.ref.deref();
      if (key === undefined) continue;
      const end = at + key.length;
      if (end > bytes.length || bytes[end] === NAME_TAG || bytes.compare(key, 0, key.length, at, end) !== 0) continue;
      this.#recentNames = recent.names;
      if (recent !== this.#names.recent[0]) this.#names.remember(key, recent.names);
      return key;
    }
    return undefined;
  }

  /** One string object per known type URL, however many requests name it; unknown URLs are never kept. */
  #typeUrl(url: string): string {
    return this.#types.canonical(url) ?? url;
  }

  /**
   * The type URL in `bytes[start, end)`: a known URL seen recently is
   * recognised by a byte compare and returned as its interned string, with
   * no string decoded (every ACK names its type: ~60 bytes of garbage each);
   * anything else is decoded and interned as by {@link #typeUrl}.
   */
  #typeUrlAt(bytes: Buffer, start: number, end: number): string {
    return this.#typeUrlBytes.knownAt(bytes, start, end) ?? bytes.toString('utf8', start, end);
  }

  /** Check node bytes strictly (malformed, or over the node entries limit, throws); returns them for a later decode. */
  #checkNode(payload: Buffer, limits: DecodeLimits): Buffer {
    const maxEntries = limits.maxNodeEntries ?? Number.POSITIVE_INFINITY;
    try {
      checkMessage(this.#node, payload, { maxEntries });
    } catch (err) {
      if (err instanceof WireLimitError) throw new RequestLimitError('node-entries', nodeEntriesMessage(err, maxEntries));
      throw prefixed(err, 'node');
    }
    return payload;
  }

  /** Node bytes already checked by #checkNode, decoded when a stream first reads the node (decoded-requests.ts). */
  readonly #nodeDecoder = (payload: Buffer): NodeInfo => nodeOf(this.#node.decode(payload) as unknown as Record<string, unknown>);

  /** google.rpc.Status: checked (its `details` are counted, never decoded), then code and message read by hand. */
  #decodeStatus(payload: Buffer, maxEntries: number): ErrorDetail {
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
}

/**
 * First pass over a DeltaDiscoveryRequest: count its names (fields 3, 4, 5,
 * 8, 9) by their tags alone, and refuse past `maxNames` before a single
 * string or map entry is built (building 2 million of them takes seconds).
 */
function countDeltaNames(bytes: Buffer, maxNames: number): void {
  if (bytes.length <= maxNames) return; // every name takes at least two bytes (tag, length)
  const r = new WireReader(bytes);
  let names = 0;
  while (!r.done) {
    const tag = r.tag();
    const field = tag >>> 3;
    r.skip(tag & 7, field);
    if ((field === 3 || field === 4 || field === 5 || field === 8 || field === 9) && ++names > maxNames) {
      throw new RequestLimitError('names', namesLimitMessage('names (resource_names_subscribe, resource_names_unsubscribe and initial_resource_versions together)', maxNames));
    }
  }
}

/** Every known field of both discovery requests is length-delimited (strings, messages, map entries). */
function expectLengthDelimited(names: readonly string[], field: number, wireType: number, at: number): void {
  if (wireType !== LENGTH_DELIMITED) throw new WireFormatError(`field ${field} (${names[field] ?? 'unknown'}) is length-delimited but came as ${wireTypeName(wireType)} at byte ${at}`);
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

/** Map entry key (field 1) and value (field 2) tags, both length-delimited. */
const ENTRY_KEY_TAG = (1 << 3) | LENGTH_DELIMITED;
const ENTRY_VALUE_TAG = (2 << 3) | LENGTH_DELIMITED;

/** One `initial_resource_versions` map entry {1: name, 2: version}; the last entry for a name wins. */
function readVersionEntry(r: WireReader, into: Map<string, string>): void {
  const length = r.length(5);
  const start = r.pos;
  const end = start + length;
  r.pos = end;
  const buf = r.buf;
  // The shape every client writes for names and versions under 128 bytes: key tag, 1-byte length, key,
  // value tag, 1-byte length, value, filling the entry exactly. A reconnecting client sends thousands;
  // read them without a reader per entry. Anything else takes the general path below.
  if (length >= 4 && buf[start] === ENTRY_KEY_TAG) {
    const valueTag = start + 2 + (buf[start + 1] as number);
    if (valueTag + 2 <= end && buf[valueTag] === ENTRY_VALUE_TAG && valueTag + 2 + (buf[valueTag + 1] as number) === end && (buf[start + 1] as number) < 0x80 && (buf[valueTag + 1] as number) < 0x80) {
      into.set(buf.toString('utf8', start + 2, valueTag), buf.toString('utf8', valueTag + 2, end));
      return;
    }
  }
  const entry = new WireReader(buf, start, end);
  let name = '';
  let version = '';
  while (!entry.done) {
    const at = entry.pos;
    const tag = entry.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field !== 1 && field !== 2) {
      entry.skip(wireType, field);
      continue;
    }
    if (wireType !== LENGTH_DELIMITED)
      throw new WireFormatError(`initial_resource_versions entry ${field === 1 ? 'key' : 'value'} is length-delimited but came as ${wireTypeName(wireType)} at byte ${at}`);
    if (field === 1) name = entry.string(field);
    else version = entry.string(field);
  }
  into.set(name, version);
}

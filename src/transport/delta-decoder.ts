/**
 * @module transport/delta-decoder
 * DeltaDiscoveryRequest decoding by hand through the strict wire reader.
 * A delta request's names are counted by their tags before anything is
 * built from them, so a request over the names limit costs one tag walk,
 * not millions of strings; the subscribe list is located and interned as
 * raw bytes and decoded only if a stream reads it (decoded-requests.ts).
 * Split from the SotW decoder (sotw-decoder.ts) because the two share only
 * the nested messages (nested-messages.ts) and the field checks
 * (request-fields.ts); RequestCodec (codec.ts) is the facade for both, and
 * recognises plain ACKs (plain-ack.ts) before a request comes here.
 */
import type { DeltaRequest, ErrorDetail } from '../stream';
import { WireReader } from '../xds/wire-reader';
import type { KnownTypeUrls } from '../xds/known-types';
import type { NamesInterner } from './names-interner';
import { NAME_FIELD_TAG, scanNameRun } from './name-run';
import type { NameRun } from './name-run';
import { DecodedDeltaRequest } from './decoded-requests';
import { RequestLimitError, asRequestError, namesLimitMessage } from './request-errors';
import type { NestedMessages } from './nested-messages';
import { expectLengthDelimited } from './request-fields';
import type { DecodeLimits } from './request-fields';
import { readVersionEntry } from './version-entry';

const DELTA = 'DeltaDiscoveryRequest';
/** Tag of DeltaDiscoveryRequest.resource_names_subscribe (field 3, length-delimited). */
const SUBSCRIBE_TAG = NAME_FIELD_TAG;
/** Field names, for messages (docs/protocol.md §Field numbers). */
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

/** Decodes DeltaDiscoveryRequests for one RequestCodec (its names table and type URLs). */
export class DeltaRequestDecoder {
  readonly #nested: NestedMessages;
  readonly #names: NamesInterner;
  readonly #types: KnownTypeUrls;
  /** Where the last run of names ended and how many it held (scanNameRun writes it; reused, not allocated per request). */
  readonly #run: NameRun = { end: 0, names: 0 };

  constructor(nested: NestedMessages, names: NamesInterner, types: KnownTypeUrls) {
    this.#nested = nested;
    this.#names = names;
    this.#types = types;
  }

  /**
   * Decode a DeltaDiscoveryRequest by hand. Subscribe, unsubscribe and
   * `initial_resource_versions` entries (and resource locators) are first
   * counted by their tags alone, so a request over `maxNames` is refused
   * with RequestLimitError before any name or map entry is built; bad bytes
   * throw MalformedRequestError.
   */
  decode(bytes: Buffer, limits: DecodeLimits): DeltaRequest {
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
          if (field === 1) nodeBytes = this.#nested.checkNode(payload, limits);
          else if (field === 7) errorDetail = this.#nested.decodeStatus(payload, maxNames);
          else this.#nested.checkLocator(payload, maxNames);
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
      this.#nested.decodeNode,
    );
  }

  /** One string object per known type URL, however many requests name it; unknown URLs are never kept. */
  #typeUrl(url: string): string {
    return this.#types.canonical(url) ?? url;
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

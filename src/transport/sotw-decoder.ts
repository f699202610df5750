/**
 * @module transport/sotw-decoder
 * DiscoveryRequest (SotW) decoding by hand through the strict wire reader.
 * Every SotW ACK repeats its stream's whole `resource_names` list, so this
 * is the request decode on the fan-out path: the list is interned as raw
 * bytes (names-interner.ts), recognised in place when it equals a recent
 * one, and counted against the names limit while it is walked. Split from
 * the delta decoder (delta-decoder.ts) because the two share only the
 * nested messages (nested-messages.ts) and the field checks
 * (request-fields.ts); RequestCodec (codec.ts) is the facade for both.
 */
import type { ErrorDetail, SotwRequest } from '../stream';
import { WireReader } from '../xds/wire-reader';
import type { NamesInterner } from './names-interner';
import { NAME_FIELD_TAG, scanNameRun } from './name-run';
import type { NameRun } from './name-run';
import type { TypeUrlBytes } from './type-url-bytes';
import { DecodedSotwRequest } from './decoded-requests';
import { RequestLimitError, asRequestError, namesLimitMessage } from './request-errors';
import type { NestedMessages } from './nested-messages';
import { expectLengthDelimited } from './request-fields';
import type { DecodeLimits } from './request-fields';

const SOTW = 'DiscoveryRequest';
/** Tag of DiscoveryRequest.resource_names (field 3, length-delimited). */
const NAME_TAG = NAME_FIELD_TAG;
/** Field names, for messages (docs/protocol.md §Field numbers). */
const SOTW_FIELDS = ['', 'version_info', 'node', 'resource_names', 'type_url', 'response_nonce', 'error_detail', 'resource_locators'];

/** Decodes DiscoveryRequests for one RequestCodec (its names table and type URLs). */
export class SotwRequestDecoder {
  readonly #nested: NestedMessages;
  readonly #names: NamesInterner;
  /** Names in the list #recentListAt last found (a field, so the hot path allocates no result object). */
  #recentNames = 0;
  /** Where the last run of names ended and how many it held (scanNameRun writes it; reused, not allocated per request). */
  readonly #run: NameRun = { end: 0, names: 0 };
  /** Known type URLs as requests spell them, for {@link #typeUrlAt}. */
  readonly #typeUrlBytes: TypeUrlBytes;

  constructor(nested: NestedMessages, names: NamesInterner, typeUrlBytes: TypeUrlBytes) {
    this.#nested = nested;
    this.#names = names;
    this.#typeUrlBytes = typeUrlBytes;
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
  decode(bytes: Buffer, limits: DecodeLimits): SotwRequest {
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
            if (nameCount + locators > maxNames) throw tooManyNames(maxNames);
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
          if (++nameCount + locators > maxNames) throw tooManyNames(maxNames);
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
        else if (field === 2) nodeBytes = this.#nested.checkNode(bytes.subarray(start, start + length), limits);
        else if (field === 6) errorDetail = this.#nested.decodeStatus(bytes.subarray(start, start + length), maxNames);
        else if (field === 7) {
          if (++locators + nameCount > maxNames) throw tooManyNames(maxNames);
          this.#nested.checkLocator(bytes.subarray(start, start + length), maxNames);
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
    return new DecodedSotwRequest({ typeUrl, responseNonce, errorDetail, nameCount, namesKey }, bytes, namesStart, versionStart, versionEnd, nodeBytes, this.#nested.decodeNode);
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

  /**
   * The type URL in `bytes[start, end)`: a known URL seen recently is
   * recognised by a byte compare and returned as its interned string, with
   * no string decoded (every ACK names its type: ~60 bytes of garbage each);
   * anything else is decoded and interned as by the delta decoder's
   * `#typeUrl` (delta-decoder.ts).
   */
  #typeUrlAt(bytes: Buffer, start: number, end: number): string {
    return this.#typeUrlBytes.knownAt(bytes, start, end) ?? bytes.toString('utf8', start, end);
  }
}

/**
 * The one refusal for a request over the names limit: resource names and
 * resource locators count together, and every place that counts them
 * throws this.
 */
function tooManyNames(maxNames: number): RequestLimitError {
  return new RequestLimitError('names', namesLimitMessage('resource names', maxNames));
}

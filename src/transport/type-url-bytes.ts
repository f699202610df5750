/**
 * @module transport/type-url-bytes
 * Known type URLs recognised by their bytes. Every ACK names its type (~60
 * bytes): a byte compare against the few URLs a server serves returns the
 * interned string without decoding one per request. Shared by the SotW
 * decoder (sotw-decoder.ts) and the delta plain-ACK reader (plain-ack.ts).
 */
import type { KnownTypeUrls } from '../xds/known-types';

/**
 * A server serves a handful of types (the four of a mesh, plus secrets,
 * runtime, …); past this many the rest are decoded each time, which is only
 * slower.
 */
const REMEMBERED_MAX = 16;

/** A known type URL and its UTF-8 bytes. */
interface RememberedUrl {
  readonly url: string;
  readonly bytes: Buffer;
}

export class TypeUrlBytes {
  readonly #types: KnownTypeUrls;
  /** Only known URLs (interned strings) are remembered: client text never stays here. */
  readonly #remembered: RememberedUrl[] = [];

  constructor(types: KnownTypeUrls) {
    this.#types = types;
  }

  /** The interned string of the known type URL spelled by `bytes[start, end)`, or undefined for any other text. */
  knownAt(bytes: Buffer, start: number, end: number): string | undefined {
    const length = end - start;
    const remembered = this.#remembered;
    for (let i = 0; i < remembered.length; i++) {
      const known = remembered[i] as RememberedUrl;
      if (known.bytes.length === length && bytes.compare(known.bytes, 0, length, start, end) === 0) return known.url;
    }
    // Known URLs are ASCII, so a decode equal to one (a map lookup of the exact string) means these bytes spell it.
    const url = this.#types.canonical(bytes.toString('utf8', start, end));
    if (url !== undefined && remembered.length < REMEMBERED_MAX) remembered.push({ url, bytes: Buffer.from(url, 'utf8') });
    return url;
  }
}

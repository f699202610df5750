/**
 * @module transport/response-cache
 * One built response shared by every stream that needs the same bytes.
 * Object keys (immutable store views) are held weakly and die with the view;
 * string keys (small change sets) live in a bounded map.
 *
 * Each entry also carries the whole message with a nonce of its own,
 * `s<serial>`, serials increasing as entries are built. A stream whose
 * previous shared message had a lower serial can take that message as is —
 * its nonce is still unique within the stream — so a fan-out costs no
 * per-stream copy on our side at all.
 */
import type { FramedMessage } from './framed-message';
import { withNonce } from './response-builder';

/** String-keyed bodies kept at most; a fan-out needs one entry per distinct change. */
const MAX_STRING_KEYS = 4096;

/** A shared response. */
export class SharedResponse {
  readonly body: Buffer;
  readonly serial: number;
  /**
   * The nonce inside {@link SharedResponse.message}; never collides with
   * per-stream nonces (hex). Made once: every stream taking the message
   * holds it until its ACK, and one string per stream would outlive scavenges.
   */
  readonly nonce: string;
  #message: FramedMessage | undefined;

  constructor(body: Buffer, serial: number) {
    this.body = body;
    this.serial = serial;
    this.nonce = `s${serial}`;
  }

  /** Body plus its own nonce, framed, built on first use: the one object every stream taking it writes. */
  get message(): FramedMessage {
    return (this.#message ??= withNonce(this.body, this.nonce));
  }
}

/** Cache of response bodies by share key. */
export class ResponseCache {
  readonly #byObject = new WeakMap<object, SharedResponse>();
  readonly #byString = new Map<string, SharedResponse>();
  #serial = 0;
  /** Lookups served from the cache, and bodies built (for /metrics). */
  hits = 0;
  builds = 0;

  /**
   * The shared response for `key`, building it with `build(arg)` on a miss.
   * `arg` lets a caller pass one bound builder instead of a new closure per
   * lookup (a lookup per stream per push, nearly all hits).
   */
  get<A>(key: object | string, build: (arg: A) => Buffer, arg?: A): SharedResponse {
    const found = typeof key === 'string' ? this.#byString.get(key) : this.#byObject.get(key);
    if (found) {
      this.hits++;
      return found;
    }
    const entry = new SharedResponse(build(arg as A), ++this.#serial);
    this.builds++;
    if (typeof key === 'string') {
      if (this.#byString.size >= MAX_STRING_KEYS) this.#byString.clear();
      this.#byString.set(key, entry);
    } else {
      this.#byObject.set(key, entry);
    }
    return entry;
  }
}

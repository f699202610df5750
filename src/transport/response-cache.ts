/**
 * @module transport/response-cache
 * One built response body shared by every stream that needs the same bytes.
 * Object keys (immutable store views) are held weakly and die with the view;
 * string keys (small change sets) live in a bounded map.
 */

/** String-keyed bodies kept at most; a fan-out needs one entry per distinct change. */
const MAX_STRING_KEYS = 4096;

/** Cache of response bodies by share key. */
export class ResponseCache {
  readonly #byObject = new WeakMap<object, Buffer>();
  readonly #byString = new Map<string, Buffer>();
  hits = 0;
  builds = 0;

  /** The body for `key`, building it with `build` on a miss. No key: always build. */
  get(key: unknown, build: () => Buffer): Buffer {
    if (typeof key === 'object' && key !== null) {
      let body = this.#byObject.get(key);
      if (body) {
        this.hits++;
        return body;
      }
      body = build();
      this.builds++;
      this.#byObject.set(key, body);
      return body;
    }
    if (typeof key === 'string') {
      let body = this.#byString.get(key);
      if (body) {
        this.hits++;
        return body;
      }
      body = build();
      this.builds++;
      if (this.#byString.size >= MAX_STRING_KEYS) this.#byString.clear();
      this.#byString.set(key, body);
      return body;
    }
    this.builds++;
    return build();
  }
}

/**
 * @module encode/encoded-by-content
 * The encode worker's memo: encoded results by content. A reload re-reads
 * the whole file (it is the whole truth), but usually only a few resources
 * changed; the rest are found here by their JSON text instead of being
 * converted, encoded and hashed again.
 *
 * Lifetime: one per worker thread, made when encode-worker.ts loads. The
 * threads belong to one server's EncodePool, so the memo lives as long as
 * that pool: it starts empty with the server, starts empty again when a
 * failed pool is replaced, and goes at stop (pool.close()). Two servers in
 * one process have two pools and never share it. It is not on the stream
 * context (stream/fanout-memo.ts) because it lives in another thread.
 * Batches are split across the workers, so with several workers a resource
 * is a hit only on a worker that encoded it before; a miss only costs time.
 *
 * Bound: {@link MAX_CACHED_RESOURCES} entries; when full it starts over.
 * An entry holds the resource's JSON text and its encoded bytes, a few
 * times the size of its config text, far below what parsing that text
 * takes (encode-pool.ts: about 15 bytes per byte of JSON), which the
 * worker heap limit already bounds.
 */

/** Entries kept before the memo starts over: more than any config we load at once, so a reload of one config always hits. */
export const MAX_CACHED_RESOURCES = 200_000;

/** Encoded results by (type URL, JSON text), bounded. */
export class EncodedByContent<T> {
  readonly #byKey = new Map<string, T>();
  readonly #max: number;

  constructor(max = MAX_CACHED_RESOURCES) {
    this.#max = max;
  }

  /** Entries held now. */
  get size(): number {
    return this.#byKey.size;
  }

  /** The key of a resource body: its type and its JSON text. */
  static keyOf(typeUrl: string, body: unknown): string {
    return `${typeUrl}\u0000${JSON.stringify(body)}`;
  }

  get(key: string): T | undefined {
    return this.#byKey.get(key);
  }

  /** Remember `value`; a full memo is emptied first (cheaper than tracking age, and a reload refills it). */
  set(key: string, value: T): void {
    if (this.#byKey.size >= this.#max) this.#byKey.clear();
    this.#byKey.set(key, value);
  }
}

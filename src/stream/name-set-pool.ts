/**
 * @module stream/name-set-pool
 * Subscriptions that name the same resources share one immutable Set.
 * Thousands of Envoys subscribe to the same 1000 EDS names; one Set per
 * stream would cost ~25 KB each. A subscription keeps an order-independent
 * hash of its names (XOR of per-name hashes, updated per add/delete), and
 * after each change looks for an equal set in this pool to share.
 *
 * The names are client content, so the pool holds its sets weakly: a set
 * lives while a subscription uses it and its slot goes with the last one
 * (a FinalizationRegistry drops the key). What the pool itself keeps is
 * then one short key per live set, at most {@link MAX_POOLED_SETS} of them.
 * Each server has one pool (fanout-memo.ts), handed to every Subscription.
 */

/** Sets smaller than this are cheaper to keep than to share. */
export const SHARE_MIN_NAMES = 16;
/** Distinct live sets remembered before the pool starts over (streams keep theirs). */
const MAX_POOLED_SETS = 10_000;

/** Two independent 32-bit string hashes (FNV-1a and a multiplicative one). */
export function nameHashes(name: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619);
    b = Math.imul(b + c, 2246822519) ^ (b >>> 13);
  }
  return [a >>> 0, b >>> 0];
}

/** Pool of shared, never-mutated name sets, held weakly. */
export class NameSetPool {
  readonly #sets = new Map<string, WeakRef<ReadonlySet<string>>>();
  readonly #registry = new FinalizationRegistry<{ key: string; ref: WeakRef<ReadonlySet<string>> }>(({ key, ref }) => {
    // The key may have been taken by a newer set since; drop only our own slot.
    if (this.#sets.get(key) === ref) this.#sets.delete(key);
  });

  /** Sets pooled and not yet collected (or not yet noticed as collected). */
  get size(): number {
    return this.#sets.size;
  }

  /** An equal pooled set, or `own` itself after pooling it. */
  share(own: ReadonlySet<string>, h1: number, h2: number): ReadonlySet<string> {
    const key = `${own.size}:${h1}:${h2}`;
    const pooled = this.#sets.get(key)?.deref();
    if (pooled && pooled !== own && sameNames(pooled, own)) return pooled;
    if (!pooled) {
      if (this.#sets.size >= MAX_POOLED_SETS) this.#sets.clear();
      const ref = new WeakRef(own);
      this.#sets.set(key, ref);
      this.#registry.register(own, { key, ref });
    }
    return own;
  }
}

function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const n of b) if (!a.has(n)) return false;
  return true;
}

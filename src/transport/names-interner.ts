/**
 * @module transport/names-interner
 * SotW clients repeat their whole `resource_names` list on every ACK (an
 * Envoy with 1000 EDS clusters sends 1000 names, ~13 KB, per ACK). Interning
 * the raw bytes of that list lets equal lists share one Buffer object, so a
 * stream recognises "unchanged" by reference and never decodes the names
 * again, and thousands of streams with the same list hold one copy.
 *
 * The lists are client content, so the table holds them weakly: a list
 * lives as long as an open stream's state refers to it and is let go with
 * the last such stream (a FinalizationRegistry then drops its slot). Live
 * interned bytes are also bounded ({@link MAX_INTERNED_BYTES}); past that, a
 * new list is not interned and its stream simply decodes names on each
 * request, which is correct, only slower.
 *
 * Lifetime: one table per RequestCodec, and the composition root builds
 * one codec per server, so the table lives and goes with its server; two
 * servers in one process intern separately. The interned Buffers are the
 * keys of the server's SotW transition memo (stream/sotw-transitions.ts,
 * reached through stream/fanout-memo.ts), whose entries go with them.
 */

/**
 * Bytes of interned lists alive at once. Streams with equal lists share one
 * copy, so this is the size of the distinct lists of open streams: 64 MiB
 * holds 5000 distinct 13 KB lists. Not a flag: going past it costs CPU on
 * ACKs of the lists left out, never correctness or memory.
 */
export const MAX_INTERNED_BYTES = 64 * 1024 * 1024;
/** Lists kept under one sampled hash: lists crafted to collide would otherwise make every lookup compare them all. */
const MAX_LISTS_PER_BUCKET = 8;
/** Bookkeeping per interned list (WeakRef, registry cell, bucket slot), charged to the budget so tiny lists cannot pile up unbounded. */
const SLOT_OVERHEAD_BYTES = 128;
/** Bytes sampled for the bucket hash; equality is always confirmed byte for byte. */
const SAMPLE_POINTS = 32;

interface Slot {
  readonly hash: number;
  /** Bytes charged to the budget. */
  readonly cost: number;
}

/** Interns byte ranges by content, holding them weakly. */
export class NamesInterner {
  readonly #buckets = new Map<number, WeakRef<Buffer>[]>();
  readonly #maxBytes: number;
  #bytes = 0;
  readonly #registry = new FinalizationRegistry<Slot>((slot) => this.#release(slot));

  constructor(maxBytes = MAX_INTERNED_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes charged for interned lists not yet released (payload plus bookkeeping). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The canonical Buffer equal to `bytes` (a copy is stored the first time),
   * or undefined when the table has no room for a new list.
   */
  intern(bytes: Buffer): Buffer | undefined {
    const hash = sampledHash(bytes);
    let bucket = this.#buckets.get(hash);
    if (bucket) {
      for (const ref of bucket) {
        const candidate = ref.deref();
        if (candidate !== undefined && candidate.equals(bytes)) return candidate;
      }
      if (bucket.length >= MAX_LISTS_PER_BUCKET) bucket = this.#prune(hash, bucket);
      if (bucket && bucket.length >= MAX_LISTS_PER_BUCKET) return undefined;
    }
    const cost = bytes.length + SLOT_OVERHEAD_BYTES;
    if (this.#bytes + cost > this.#maxBytes) return undefined;
    const copy = Buffer.from(bytes);
    const ref = new WeakRef(copy);
    if (bucket) bucket.push(ref);
    else this.#buckets.set(hash, [ref]);
    this.#bytes += cost;
    this.#registry.register(copy, { hash, cost });
    return copy;
  }

  /** A list was collected: give back its bytes and drop dead slots of its bucket. */
  #release(slot: Slot): void {
    this.#bytes -= slot.cost;
    const bucket = this.#buckets.get(slot.hash);
    if (bucket) this.#prune(slot.hash, bucket);
  }

  #prune(hash: number, bucket: WeakRef<Buffer>[]): WeakRef<Buffer>[] | undefined {
    const live = bucket.filter((ref) => ref.deref() !== undefined);
    if (live.length === 0) {
      this.#buckets.delete(hash);
      return undefined;
    }
    this.#buckets.set(hash, live);
    return live;
  }
}

/** O(1) hash of length and a fixed sample of bytes. */
function sampledHash(bytes: Buffer): number {
  let h = (bytes.length * 2654435761) >>> 0;
  const n = bytes.length;
  if (n === 0) return h;
  const step = Math.max(1, Math.floor(n / SAMPLE_POINTS));
  for (let i = 0; i < n; i += step) h = Math.imul(h ^ (bytes[i] ?? 0), 16777619) >>> 0;
  return Math.imul(h ^ (bytes[n - 1] ?? 0), 16777619) >>> 0;
}

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
 * A delta Envoy's first subscribe list (its 1000 EDS names, the same bytes
 * from thousands of streams) is interned the same way, so streams can take
 * over the result of applying it (stream/delta-subscribes.ts).
 *
 * The table also remembers the few lists seen most recently (weakly too):
 * the codec compares an ACK's bytes against them where its list starts and,
 * on a match, takes the interned Buffer without scanning or hashing the list
 * (transport/sotw-decoder.ts).
 *
 * Lifetime: one table per RequestCodec, and the composition root builds
 * one codec per server, so the table lives and goes with its server; two
 * servers in one process intern separately. The interned Buffers are the
 * keys of the server's SotW transition memo (stream/sotw-transitions.ts)
 * and delta first-subscribe memo (stream/delta-subscribes.ts), both reached
 * through stream/fanout-memo.ts, whose entries go with them.
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
/**
 * Lists remembered as recently seen. An ACK repeats its stream's list, and
 * the streams of one mesh hold a handful of lists at most (one per kind of
 * Envoy), so a few candidates catch nearly every ACK.
 */
export const RECENT_LISTS = 4;

/** A list interned and seen recently: its canonical bytes (held weakly) and how many names they hold. */
export interface RecentList {
  readonly ref: WeakRef<Buffer>;
  readonly names: number;
}

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
  /** Most recently seen first; never more than {@link RECENT_LISTS}. Weak, so it keeps no list alive. */
  readonly #recent: RecentList[] = [];

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

  /**
   * The recently seen lists, most recent first, for a caller that can
   * recognise one in place (a byte compare at a known offset) before it
   * scans and interns: the ACK fast path of transport/sotw-decoder.ts.
   */
  get recent(): readonly RecentList[] {
    return this.#recent;
  }

  /**
   * Note that `key`, an interned list holding `names` names, was just seen,
   * so the next request repeating it is recognised by {@link recent}.
   * Cheap when it already is the most recent (every ACK of a steady mesh).
   */
  remember(key: Buffer, names: number): void {
    const recent = this.#recent;
    if (recent[0]?.ref.deref() === key) return;
    const at = recent.findIndex((r) => r.ref.deref() === key);
    const entry = at === -1 ? { ref: new WeakRef(key), names } : (recent.splice(at, 1)[0] as RecentList);
    recent.unshift(entry);
    if (recent.length > RECENT_LISTS) recent.length = RECENT_LISTS;
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

/**
 * @module transport/names-interner
 * SotW clients repeat their whole `resource_names` list on every ACK (an
 * Envoy with 1000 EDS clusters sends 1000 names, ~13 KB, per ACK). Interning
 * the raw bytes of that list lets equal lists share one Buffer object, so a
 * stream recognises "unchanged" by reference and never decodes the names
 * again, and thousands of streams with the same list hold one copy.
 */

/** Distinct lists kept before the table is cleared (streams keep their own references). */
const MAX_INTERNED_LISTS = 20_000;
/** Bytes sampled for the bucket hash; equality is always confirmed byte for byte. */
const SAMPLE_POINTS = 32;

/** Interns byte ranges by content. */
export class NamesInterner {
  readonly #buckets = new Map<number, Buffer[]>();
  #size = 0;

  /** The canonical Buffer equal to `bytes` (a copy is stored the first time). */
  intern(bytes: Buffer): Buffer {
    const h = sampledHash(bytes);
    const bucket = this.#buckets.get(h);
    if (bucket) {
      for (const candidate of bucket) if (candidate.equals(bytes)) return candidate;
    }
    if (this.#size >= MAX_INTERNED_LISTS) {
      this.#buckets.clear();
      this.#size = 0;
    }
    const copy = Buffer.from(bytes);
    const list = this.#buckets.get(h);
    if (list) list.push(copy);
    else this.#buckets.set(h, [copy]);
    this.#size++;
    return copy;
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

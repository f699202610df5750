/**
 * @module encode/keyed-encoder
 * Encodes the whole state of a keyed source (etcd) at each revision while
 * sending only the keys whose text changed to the workers. Parsing and
 * encoding one key's text is a pure function of the key and the text, so
 * the result (the encoded resource, or its problems) is reused until the
 * text changes: a revision that touches k of n keys costs O(k) in the
 * workers, and the outcome is exactly what encoding all n would give.
 */
import type { ConfigProblem } from '../source/raw-resource';
import type { ResourceText } from '../source/resource-text';
import type { EncodedResource } from './encoded-resource';
import type { EncodeOutcome, EncodePool } from './encode-pool';

interface Entry {
  readonly text: string;
  readonly resource: EncodedResource | undefined;
  readonly problems: readonly ConfigProblem[];
}

/** Per-key memo in front of the pool. Not reentrant: callers serialise (the config applier does). */
export class KeyedEncoder {
  readonly #pool: EncodePool;
  #byKey = new Map<string, Entry>();

  constructor(pool: EncodePool) {
    this.#pool = pool;
  }

  /** Keys remembered (for tests and metrics). */
  get size(): number {
    return this.#byKey.size;
  }

  /** Encode every text; unchanged keys come from the memo. Keys absent from `texts` are forgotten. */
  async encode(texts: readonly ResourceText[]): Promise<EncodeOutcome> {
    const misses = texts.filter((t) => this.#byKey.get(t.file)?.text !== t.text);
    const fresh = misses.length > 0 ? await this.#pool.encodeResourceTexts(misses) : { resources: [], groups: [], problems: [] };
    const resourceOf = new Map<string, EncodedResource>();
    for (const r of fresh.resources) resourceOf.set(r.file, r);
    const problemsOf = new Map<string, ConfigProblem[]>();
    for (const p of fresh.problems) {
      let list = problemsOf.get(p.file);
      if (!list) problemsOf.set(p.file, (list = []));
      list.push(p);
    }
    const next = new Map<string, Entry>();
    for (const t of misses) next.set(t.file, { text: t.text, resource: resourceOf.get(t.file), problems: problemsOf.get(t.file) ?? [] });
    const outcome: EncodeOutcome = { resources: [], groups: [], problems: [] };
    for (const t of texts) {
      const entry = next.get(t.file) ?? (this.#byKey.get(t.file) as Entry);
      next.set(t.file, entry);
      if (entry.resource) outcome.resources.push(entry.resource);
      outcome.problems.push(...entry.problems);
    }
    this.#byKey = next;
    return outcome;
  }
}

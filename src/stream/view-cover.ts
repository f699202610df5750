/**
 * @module stream/view-cover
 * Whether a subscription wants exactly the resources of a view: every name
 * of the view and nothing outside it. Then a client that holds nothing of
 * the type is owed the whole view, one body shared by every such stream
 * (DESIGN.md principle 1), and its held versions are the view itself
 * (known-versions.ts), with no per-resource work per stream. Thousands of
 * Envoys subscribe to the same 1000 EDS names (one pooled, never-changing
 * set, name-set-pool.ts), so the answer is memoised per (view, set) in
 * WeakMaps: it goes with the view or the set.
 */
import type { TypeView } from '../store';
import type { Subscription } from './subscription';

/**
 * Sets up to this size are checked name by name and never memoised: the
 * walk is short, and the memo then holds entries only for the large pooled
 * sets that many streams share. (Pooled sets start smaller, at
 * SHARE_MIN_NAMES in name-set-pool.ts; those up to this size are walked too.)
 */
const DIRECT_CHECK_MAX_NAMES = 64;

/** One server's answers to "does this name set cover exactly this view?". */
export class ViewCover {
  readonly #memo = new WeakMap<TypeView, WeakMap<ReadonlySet<string>, boolean>>();
  #computed = 0;

  /** Answers worked out for pooled sets since the server started (memo misses). */
  get computed(): number {
    return this.#computed;
  }

  /**
   * Whether `sub` wants every resource of `view` and no name outside it:
   * wildcard with every explicit name in the view, or explicit names equal
   * to the view's names.
   */
  exactly(view: TypeView, sub: Subscription): boolean {
    const names = sub.names;
    if (!sub.wildcard && names.size !== view.size) return false;
    // A stream's own set may change, so it is never a memo key; it is small (pooling starts at 16 names).
    if (!sub.namesFrozen || names.size <= DIRECT_CHECK_MAX_NAMES) return allIn(view, names);
    let byNames = this.#memo.get(view);
    if (!byNames) this.#memo.set(view, (byNames = new WeakMap()));
    let answer = byNames.get(names);
    if (answer === undefined) {
      byNames.set(names, (answer = allIn(view, names)));
      this.#computed++;
    }
    return answer;
  }
}

function allIn(view: TypeView, names: ReadonlySet<string>): boolean {
  for (const n of names) if (!view.has(n)) return false;
  return true;
}

/**
 * @module stream/state-version
 * The `version_info` of a SotW response: a content hash of the whole state
 * the client holds for the type once it has applied the response — every
 * subscribed resource that exists, by name and version — for the partial
 * types too (EDS, RDS, …), whose responses carry only what changed.
 *
 * Why the whole state: a reconnecting client sends the version of its last
 * accepted response and nothing else (docs/protocol.md B15, E30). If a
 * partial response's version described only that response, it would never
 * match anything on reconnect and every subscribed resource would be sent
 * again (1,001 resources, ~196 KB per Envoy on a 1000-cluster mesh). Being
 * content-derived, the same state gives the same version on every replica
 * and after a restart (DESIGN.md principle 2), as go-control-plane's
 * snapshot versions do.
 *
 * Cost: a fan-out asks this once per stream, with the same immutable view
 * and (for ≥ SHARE_MIN_NAMES names) the same pooled name set, so the hash
 * is computed once per (view, name set) and memoised on both objects, in
 * the server's {@link StateVersions} (fanout-memo.ts).
 */
import { combinedVersion } from '../encode';
import type { EncodedResource } from '../encode';
import type { TypeView } from '../store';
import type { Subscription } from './subscription';

/** Hash of a set of resources: sorted `name=version` pairs (pure; the memo below caches it per shared array). */
export function versionOfResources(resources: readonly EncodedResource[]): string {
  return hashPairs(resources.map(pairOf));
}

/**
 * State versions of one server, memoised on the immutable objects that
 * thousands of streams ask with: the view, its values array and pooled
 * name sets. Entries live in WeakMaps and go with those objects.
 */
export class StateVersions {
  readonly #all = new WeakMap<TypeView, readonly EncodedResource[]>();
  readonly #ofArray = new WeakMap<readonly EncodedResource[], string>();
  readonly #byNames = new WeakMap<TypeView, WeakMap<ReadonlySet<string>, string>>();
  #computed = 0;

  /** Versions hashed since the server started (a memo miss each; hits are free). */
  get computed(): number {
    return this.#computed;
  }

  /** The values of a view as an array, one per (immutable) view. */
  allOf(view: TypeView): readonly EncodedResource[] {
    let all = this.#all.get(view);
    if (!all) this.#all.set(view, (all = [...view.values()]));
    return all;
  }

  /**
   * The version of everything `sub` covers in `view`: what a client holding
   * the current version of every subscribed resource holds. Names that do not
   * exist do not count, so subscribing to a missing name keeps the version.
   */
  of(view: TypeView, sub: Subscription): string {
    if (sub.wildcard) return this.#ofAll(view);
    // A stream's own set is small (pooling starts at SHARE_MIN_NAMES) and may change: hash it directly.
    if (!sub.namesFrozen) return versionOfNames(view, sub.names);
    let memo = this.#byNames.get(view);
    if (!memo) this.#byNames.set(view, (memo = new WeakMap()));
    let v = memo.get(sub.names);
    if (v === undefined) {
      memo.set(sub.names, (v = versionOfNames(view, sub.names)));
      this.#computed++;
    }
    return v;
  }

  #ofAll(view: TypeView): string {
    const all = this.allOf(view);
    let v = this.#ofArray.get(all);
    if (v === undefined) {
      this.#ofArray.set(all, (v = versionOfResources(all)));
      this.#computed++;
    }
    return v;
  }
}

function versionOfNames(view: TypeView, names: ReadonlySet<string>): string {
  const pairs: string[] = [];
  for (const n of names) {
    const r = view.get(n);
    if (r) pairs.push(pairOf(r));
  }
  return hashPairs(pairs);
}

function pairOf(r: EncodedResource): string {
  return `${r.name}=${r.version}`;
}

/** Order-independent by sorting: the same set hashes the same however it was collected. */
function hashPairs(pairs: string[]): string {
  pairs.sort();
  return combinedVersion(pairs);
}

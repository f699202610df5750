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
 * is computed once per (view, name set) and memoised on both objects.
 */
import { combinedVersion } from '../encode';
import type { EncodedResource } from '../encode';
import type { TypeView } from '../store';
import type { Subscription } from './subscription';

const allCache = new WeakMap<TypeView, readonly EncodedResource[]>();
const versionCache = new WeakMap<readonly EncodedResource[], string>();
const byNames = new WeakMap<TypeView, WeakMap<ReadonlySet<string>, string>>();

/** The values of a view as an array, cached per (immutable) view. */
export function allOf(view: TypeView): readonly EncodedResource[] {
  let all = allCache.get(view);
  if (!all) allCache.set(view, (all = [...view.values()]));
  return all;
}

/** Version of a set of resources: hash of the sorted `name=version` pairs; cached for shared arrays. */
export function versionOfResources(resources: readonly EncodedResource[]): string {
  const cached = versionCache.get(resources);
  if (cached !== undefined) return cached;
  const v = hashPairs(resources.map(pairOf));
  versionCache.set(resources, v);
  return v;
}

/**
 * The version of everything `sub` covers in `view`: what a client holding
 * the current version of every subscribed resource holds. Names that do not
 * exist do not count, so subscribing to a missing name keeps the version.
 */
export function stateVersion(view: TypeView, sub: Subscription): string {
  if (sub.wildcard) return versionOfResources(allOf(view));
  // A stream's own set is small (pooling starts at SHARE_MIN_NAMES) and may change: hash it directly.
  if (!sub.namesFrozen) return versionOfNames(view, sub.names);
  let memo = byNames.get(view);
  if (!memo) byNames.set(view, (memo = new WeakMap()));
  let v = memo.get(sub.names);
  if (v === undefined) memo.set(sub.names, (v = versionOfNames(view, sub.names)));
  return v;
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

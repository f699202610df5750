/**
 * @module apply/etcd-values
 * What `apply` finds under the configuration prefixes, read back into the
 * server's own terms: a resource key's value becomes a RawResource (labelled
 * with its key, so a problem names it), a group key's value a NodeGroupSpec
 * with its order. Writing goes the other way: resources are the encoder's
 * canonical JSON (`EncodedResource.source`), groups `{match, order}` with
 * sorted keys.
 *
 * Anything that does not read back is kept as an `invalid` entry with its
 * problems: `apply` overwrites it when the files define that key, and
 * refuses to leave it behind otherwise (a replica would reject that state).
 */
import { canonicalJson } from '../encode';
import { readGroupValue } from '../source/etcd-config';
import { parseResourceText } from '../source/resource-text';
import { parseGroupKey, parseResourceKey } from '../source/etcd-keys';
import type { EtcdLayout, ResourceKey } from '../source/etcd-keys';
import type { ConfigProblem, NodeGroupSpec, NodeMatch, RawResource } from '../source';

/** One key under `resources/` or `groups/`, read back. */
export type EtcdEntry =
  | { readonly kind: 'resource'; readonly key: string; readonly id: ResourceKey; readonly raw: RawResource }
  | { readonly kind: 'group'; readonly key: string; readonly spec: NodeGroupSpec; readonly order: number; readonly value: string }
  | { readonly kind: 'invalid'; readonly key: string; readonly problems: readonly ConfigProblem[]; readonly id?: ResourceKey; readonly group?: string }
  | { readonly kind: 'unknown'; readonly key: string };

/** Read one key and its value, by the rules a replica reads them with (source/etcd-config.ts). */
export function readEtcdEntry(layout: EtcdLayout, key: string, value: Buffer): EtcdEntry {
  const text = value.toString('utf8');
  const id = parseResourceKey(layout, key);
  if (id) {
    const { resource, problems } = parseResourceText({ file: key, text, ...id });
    return resource ? { kind: 'resource', key, id, raw: resource } : { kind: 'invalid', key, id, problems };
  }
  const group = parseGroupKey(layout, key);
  if (group === undefined) return { kind: 'unknown', key };
  const problems: ConfigProblem[] = [];
  const read = readGroupValue(key, text, group, problems);
  if (!read || problems.length > 0) return { kind: 'invalid', key, group, problems };
  return { kind: 'group', key, spec: read.spec, order: read.order, value: groupValue(read.spec.match, read.order) };
}

/** The value stored for a node group: `{"match":…,"order":N}`, keys sorted. */
export function groupValue(match: NodeMatch, order: number): string {
  return canonicalJson({ match, order });
}

/** Groups in matching order: by `order`, then by name (a tie only happens when several applies without --prune defined groups). */
export function orderedGroups(groups: Iterable<{ readonly spec: NodeGroupSpec; readonly order: number }>): NodeGroupSpec[] {
  return [...groups].sort((a, b) => a.order - b.order || (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0)).map((g) => g.spec);
}

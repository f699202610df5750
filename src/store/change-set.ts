/**
 * @module store/change-set
 * What one committed batch changed, per node group and type: the input of
 * the push scheduler. Names only; streams read the bytes from the store.
 */

import { typeLabel } from '../xds/resource-types';

/** Changes to one type as seen by one node group. */
export interface TypeChange {
  /** Names added or whose version changed. */
  readonly updated: readonly string[];
  /** Names that no longer exist for this group. */
  readonly removed: readonly string[];
}

/** One committed batch. */
export interface ChangeSet {
  /** Store revision after the batch. */
  readonly revision: number;
  /** group → typeUrl → change. Groups whose view did not change are absent. */
  readonly byGroup: ReadonlyMap<string, ReadonlyMap<string, TypeChange>>;
}

/** Total names updated and removed over all groups. */
export function countChanges(changes: ChangeSet): { updated: number; removed: number } {
  let updated = 0;
  let removed = 0;
  for (const types of changes.byGroup.values()) {
    for (const c of types.values()) {
      updated += c.updated.length;
      removed += c.removed.length;
    }
  }
  return { updated, removed };
}

/** Names shown per type in a change summary; the rest are counted. */
export const SUMMARY_NAMES_PER_TYPE = 10;

/** One type's change in a log line: counts, and the first names of each kind. */
export interface TypeChangeSummary {
  readonly updated: number;
  readonly removed: number;
  readonly updatedNames?: readonly string[];
  readonly removedNames?: readonly string[];
}

/**
 * What a batch changed, for a log line: node group (`default` for the
 * default group) → type (its message name, `Cluster`) → counts and the
 * first `maxNames` names. A change to the default resources reaches every
 * group's view; it is shown once, under `default`, and a group lists only
 * what differs for it.
 */
export function summarizeChanges(changes: ChangeSet, maxNames: number = SUMMARY_NAMES_PER_TYPE, show: (name: string) => string = (n) => n): Record<string, Record<string, TypeChangeSummary>> {
  const out: Record<string, Record<string, TypeChangeSummary>> = {};
  const defaults = changes.byGroup.get('');
  // Built once per type, not per group: a large default change and many groups must stay linear.
  const defaultNames = new Map<string, ReadonlySet<string>>();
  const without = (typeUrl: string, names: readonly string[], kind: 'updated' | 'removed'): readonly string[] => {
    const base = defaults?.get(typeUrl)?.[kind];
    if (!base || base.length === 0) return names;
    const key = `${kind}\u0000${typeUrl}`;
    let skip = defaultNames.get(key);
    if (!skip) defaultNames.set(key, (skip = new Set(base)));
    return names.filter((n) => !skip.has(n));
  };
  for (const [group, types] of changes.byGroup) {
    const perType: Record<string, TypeChangeSummary> = {};
    for (const [typeUrl, change] of types) {
      const updated = group === '' ? change.updated : without(typeUrl, change.updated, 'updated');
      const removed = group === '' ? change.removed : without(typeUrl, change.removed, 'removed');
      if (updated.length === 0 && removed.length === 0) continue;
      perType[typeLabel(typeUrl)] = {
        updated: updated.length,
        removed: removed.length,
        updatedNames: updated.length > 0 ? updated.slice(0, maxNames).map(show) : undefined,
        removedNames: removed.length > 0 ? removed.slice(0, maxNames).map(show) : undefined,
      };
    }
    if (Object.keys(perType).length > 0) out[group === '' ? 'default' : group] = perType;
  }
  return out;
}

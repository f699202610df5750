/**
 * @module store/change-set
 * What one committed batch changed, per node group and type: the input of
 * the push scheduler. Names only; streams read the bytes from the store.
 */

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

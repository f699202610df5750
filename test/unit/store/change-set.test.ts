import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { summarizeChanges } from '../../../src/store/change-set';
import type { ChangeSet, TypeChange } from '../../../src/store/change-set';
import { CLUSTER, LISTENER } from '../../../src/xds/type-urls';

const set = (byGroup: Record<string, Record<string, TypeChange>>): ChangeSet => ({
  revision: 2,
  byGroup: new Map(Object.entries(byGroup).map(([g, types]) => [g, new Map(Object.entries(types))])),
});

test('a change summary names the first names per type with the counts, per node group', () => {
  const names = Array.from({ length: 12 }, (_, i) => `c${i}`);
  const summary = summarizeChanges(
    set({ '': { [CLUSTER]: { updated: names, removed: ['gone'] } }, canary: { [CLUSTER]: { updated: [...names, 'canary-only'], removed: ['gone'] }, [LISTENER]: { updated: ['l'], removed: [] } } }),
    10,
  );
  assert.deepEqual(summary, {
    default: { Cluster: { updated: 12, removed: 1, updatedNames: names.slice(0, 10), removedNames: ['gone'] } },
    // The default resources' change reaches every group; a group shows only what differs for it.
    canary: { Cluster: { updated: 1, removed: 0, updatedNames: ['canary-only'], removedNames: undefined }, Listener: { updated: 1, removed: 0, updatedNames: ['l'], removedNames: undefined } },
  });
});

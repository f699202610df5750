import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { describePlan, planChanges } from '../../../src/apply/plan';
import type { CurrentKey, DesiredKey, KeyChange } from '../../../src/apply/plan';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const CLA = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

function change(key: string, typeUrl: string, name: string, group = ''): KeyChange {
  return { key, kind: 'resource', typeUrl, name, group };
}

test('keys compare by identity (content hash): same hash is unchanged whatever the value text, a different one is rewritten', () => {
  const current = new Map<string, CurrentKey>([
    ['a', { identity: 'h1', change: change('a', CLUSTER, 'a') }],
    ['b', { identity: 'h2', change: change('b', CLA, 'b') }],
    ['c', { identity: undefined, change: change('c', CLUSTER, 'c') }],
    ['gone', { identity: 'h4', change: change('gone', CLUSTER, 'gone') }],
  ]);
  const desired = new Map<string, DesiredKey>([
    ['a', { identity: 'h1', value: '{"reformatted":true}', change: change('a', CLUSTER, 'a') }],
    ['b', { identity: 'h2-new', value: 'B', change: change('b', CLA, 'b') }],
    ['c', { identity: 'h3', value: 'C', change: change('c', CLUSTER, 'c') }],
    ['d', { identity: 'h5', value: 'D', change: change('d', CLUSTER, 'd', 'canary') }],
  ]);
  const plan = planChanges(current, desired, ['gone', 'a', 'missing']);
  assert.equal(plan.unchanged, 1);
  assert.deepEqual(
    plan.added.map((c) => c.key),
    ['d'],
  );
  assert.deepEqual(
    plan.changed.map((c) => c.key),
    ['b', 'c'],
    'a value that did not read back is rewritten',
  );
  assert.deepEqual(
    plan.removed.map((c) => c.key),
    ['gone'],
    'a desired key is never deleted; a missing one is no-op',
  );
  assert.deepEqual(plan.ops, [
    { put: 'put', key: 'b', value: 'B' },
    { put: 'put', key: 'c', value: 'C' },
    { put: 'put', key: 'd', value: 'D' },
    { delete: true, key: 'gone' },
  ]);
  assert.deepEqual(describePlan(plan), ['+ Cluster d [group canary]', '~ Cluster c', '~ ClusterLoadAssignment b', '- Cluster gone']);
});

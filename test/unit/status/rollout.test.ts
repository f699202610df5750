import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { describeLagging, describeNack, rolloutVerdict } from '../../../src/status/rollout';
import { parseReplicaStatus } from '../../../src/status/replica-status';
import type { NackEntry, ReplicaStatus } from '../../../src/status/replica-status';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

function replica(name: string, fields: Partial<ReplicaStatus> = {}): ReplicaStatus {
  return { replica: name, host: 'h', pid: 1, revision: 10, connected: 2, inSync: 2, nacked: 0, syncing: [], nacks: [], nacksOmitted: 0, updatedAt: '2026-01-01T00:00:00.000Z', ...fields };
}

const nack: NackEntry = { node: 'n1', variant: 'delta', type: CLUSTER, resource: 'c1', resources: 3, version: 'v9', error: 'bad', at: '2026-01-01T00:00:00.000Z' };

test('a revision is rolled out once every live replica serves it (or later) with every node in sync', () => {
  assert.deepEqual(rolloutVerdict([replica('a'), replica('b', { revision: 12 })], 10), { kind: 'done', replicas: 2, nodes: 4 });
  const waiting = rolloutVerdict([replica('a', { revision: 9 }), replica('b', { inSync: 1, syncing: ['n7'] })], 10);
  assert.equal(waiting.kind, 'waiting');
  assert.deepEqual(waiting.kind === 'waiting' && waiting.lagging.map((l) => describeLagging(l, 10)), ['replica a: serves revision 9, not yet 10', 'replica b: 1 of 2 nodes not in sync: n7']);
});

test('no live replica is never "done": the wait goes on until one reports', () => {
  assert.deepEqual(rolloutVerdict([], 10), { kind: 'waiting', lagging: [], replicas: 0 });
});

test('a NACK fails the rollout only from a replica already serving the revision', () => {
  assert.equal(rolloutVerdict([replica('a', { revision: 9, inSync: 1, nacked: 1, nacks: [nack] })], 10).kind, 'waiting', 'an older NACK, before the replica applied the revision');
  const failed = rolloutVerdict([replica('a', { inSync: 1, nacked: 1, nacks: [nack] })], 10);
  assert.equal(failed.kind, 'failed');
  assert.deepEqual(failed.kind === 'failed' && failed.nacks.map((n) => describeNack(n.replica, n.nack)), [
    'replica a: node n1 (delta) NACKed ' + CLUSTER + ' c1 (and 2 more in the response), version v9: bad',
  ]);
});

test('a replica that rejected the revision (or a later one) as invalid fails the rollout', () => {
  const v = rolloutVerdict([replica('a', { revision: 9, rejectedRevision: 10 })], 10);
  assert.deepEqual(v.kind === 'failed' && v.rejected, [{ replica: 'a', revision: 10 }]);
});

test('NACKing nodes past the listed entries still fail the rollout', () => {
  const v = rolloutVerdict([replica('a', { inSync: 0, nacked: 2, nacks: [], nacksOmitted: 2 })], 10);
  assert.equal(v.kind, 'failed');
});

test('a status value is read back field by field; anything else is named, not trusted', () => {
  const good = replica('a', { nacks: [nack] });
  assert.deepEqual(parseReplicaStatus(JSON.stringify(good)), { ok: true, value: good });
  assert.match((parseReplicaStatus('{') as { problem: string }).problem, /^not JSON/);
  assert.match((parseReplicaStatus(JSON.stringify({ ...good, connected: -1 })) as { problem: string }).problem, /"connected" must be a non-negative integer/);
  assert.match((parseReplicaStatus(JSON.stringify({ ...good, nacks: [{ ...nack, error: 3 }] })) as { problem: string }).problem, /nacks\[0\]\.error must be a string/);
  assert.match((parseReplicaStatus('[]') as { problem: string }).problem, /not a JSON object/);
});

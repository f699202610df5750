import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { takeCensus } from '../../../src/status/node-census';
import type { NodeSyncView } from '../../../src/status/node-census';
import type { SyncState, TypeNack } from '../../../src/stream';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

function view(id: string | undefined, state: SyncState, nacks: TypeNack[] = []): NodeSyncView {
  return { node: id === undefined ? undefined : { id }, variant: 'sotw', syncState: () => state, nacks: () => nacks };
}

function typeNack(message: string): TypeNack {
  return { typeUrl: CLUSTER, version: 'v1', message, at: 0, firstResource: 'c', resourceCount: 1 };
}

test('streams are counted connected, in sync and NACKed; streams with no node yet are not counted', () => {
  const c = takeCensus([view('a', 'synced'), view('b', 'syncing'), view('c', 'nacked', [typeNack('bad')]), view(undefined, 'syncing')]);
  assert.equal(c.connected, 3);
  assert.equal(c.inSync, 1);
  assert.equal(c.nacked, 1);
  assert.deepEqual(c.syncing, ['b']);
  assert.deepEqual(
    c.nacks.map((n) => [n.node, n.type, n.resource, n.error]),
    [['c', CLUSTER, 'c', 'bad']],
  );
});

test('NACK entries are capped and their client text escaped and cut', () => {
  const huge = `x\u0000${'y'.repeat(10_000)}`;
  const c = takeCensus(
    Array.from({ length: 5 }, (_, i) => view(`n${i}\n`, 'nacked', [typeNack(huge)])),
    3,
  );
  assert.equal(c.nacked, 5);
  assert.equal(c.nacks.length, 3);
  assert.equal(c.nacksOmitted, 2);
  assert.equal(c.nacks[0]?.node, 'n0\\n');
  assert.ok((c.nacks[0]?.error.length ?? 0) < 600, 'cut near 512 characters');
  assert.ok(c.nacks[0]?.error.startsWith('x\\x00y'));
});

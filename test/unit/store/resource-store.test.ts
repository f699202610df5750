import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ResourceStore } from '../../../src/store';
import type { EncodedResource } from '../../../src/encode';
import { CLUSTER, ENDPOINT, LISTENER } from '../../../src/xds/type-urls';

function res(typeUrl: string, name: string, version: string, extra: Partial<EncodedResource> = {}): EncodedResource {
  return { typeUrl, name, version, group: '', file: 'f.yaml', location: `resources[${name}]`, refs: [], aliases: [], sotwEntry: Buffer.alloc(0), deltaEntry: Buffer.alloc(0), ...extra };
}
const edsCluster = (name: string, v = 'v1'): EncodedResource => res(CLUSTER, name, v, { refs: [{ typeUrl: ENDPOINT, name, field: 'name' }] });

test('replaceAll reports updated and removed names per type and bumps the revision', () => {
  const store = new ResourceStore();
  const first = store.replaceAll([res(CLUSTER, 'a', '1'), res(CLUSTER, 'b', '1')], []);
  assert.ok(first.ok);
  const second = store.replaceAll([res(CLUSTER, 'a', '1'), res(CLUSTER, 'c', '1')], []);
  assert.ok(second.ok);
  const change = second.changes.byGroup.get('')?.get(CLUSTER);
  assert.deepEqual(change, { updated: ['c'], removed: ['b'] });
  assert.equal(store.revision, 2);
});

test('an unchanged resource produces no change at all', () => {
  const store = new ResourceStore();
  store.replaceAll([res(CLUSTER, 'a', '1')], []);
  const again = store.replaceAll([res(CLUSTER, 'a', '1')], []);
  assert.ok(again.ok);
  assert.equal(again.changes.byGroup.size, 0);
});

test('a dangling EDS reference rejects the whole batch and keeps the last good state', () => {
  const store = new ResourceStore();
  assert.ok(store.replaceAll([edsCluster('a'), res(ENDPOINT, 'a', '1')], []).ok);
  const bad = store.replaceAll([edsCluster('a'), edsCluster('b'), res(ENDPOINT, 'a', '1')], []);
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.match(bad.problems[0]?.message ?? '', /ClusterLoadAssignment "b" does not exist/);
    assert.equal(bad.problems[0]?.file, 'f.yaml');
  }
  assert.equal(store.view('', CLUSTER).size, 1);
  assert.equal(store.revision, 1);
});

test('allowDanglingReferences turns dangling references into warnings', () => {
  const store = new ResourceStore();
  const r = store.replaceAll([edsCluster('a')], [], { allowDanglingReferences: true });
  assert.ok(r.ok);
  assert.equal(r.warnings.length, 1);
});

test('duplicate names in one batch are rejected naming both places', () => {
  const store = new ResourceStore();
  const r = store.replaceAll([res(LISTENER, 'l', '1'), res(LISTENER, 'l', '2', { location: 'resources[9]' })], []);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems[0]?.message ?? '', /duplicate name.*also defined at f.yaml/);
});

test('update removing a CLA still referenced by a cluster is rejected', () => {
  const store = new ResourceStore();
  store.replaceAll([edsCluster('a'), res(ENDPOINT, 'a', '1')], []);
  const r = store.update([], [{ typeUrl: ENDPOINT, name: 'a', group: '' }]);
  assert.equal(r.ok, false);
  assert.equal(store.view('', ENDPOINT).size, 1);
});

test('views are immutable snapshots: a commit replaces only the changed type map', () => {
  const store = new ResourceStore();
  store.replaceAll([res(CLUSTER, 'a', '1'), res(LISTENER, 'l', '1')], []);
  const clustersBefore = store.view('', CLUSTER);
  const listenersBefore = store.view('', LISTENER);
  store.update([res(CLUSTER, 'a', '2')], []);
  assert.notEqual(store.view('', CLUSTER), clustersBefore);
  assert.equal(clustersBefore.get('a')?.version, '1');
  assert.equal(store.view('', LISTENER), listenersBefore);
});

test('a node group sees its own resources layered over the default ones', () => {
  const store = new ResourceStore();
  const r = store.replaceAll([res(CLUSTER, 'a', '1'), res(CLUSTER, 'b', '1'), res(CLUSTER, 'a', 'canary', { group: 'canary' })], [{ name: 'canary', match: { id: 'canary-.*' } }]);
  assert.ok(r.ok);
  const group = store.groupOf({ id: 'canary-7', cluster: '', metadata: {} });
  assert.equal(group, 'canary');
  assert.equal(store.groupOf({ id: 'other', cluster: '', metadata: {} }), '');
  assert.equal(store.view('canary', CLUSTER).get('a')?.version, 'canary');
  assert.equal(store.view('canary', CLUSTER).get('b')?.version, '1');
  assert.equal(store.view('', CLUSTER).get('a')?.version, '1');
  const next = store.update([res(CLUSTER, 'b', '2')], []);
  assert.ok(next.ok);
  assert.deepEqual(next.changes.byGroup.get('canary')?.get(CLUSTER), { updated: ['b'], removed: [] });
});

test('groups can match on metadata and cluster', () => {
  const store = new ResourceStore();
  store.replaceAll([], [{ name: 'edge', match: { cluster: 'edge-.*', metadata: { tier: 'gold' } } }]);
  assert.equal(store.groupOf({ id: 'x', cluster: 'edge-1', metadata: { tier: 'gold' } }), 'edge');
  assert.equal(store.groupOf({ id: 'x', cluster: 'edge-1', metadata: { tier: 'silver' } }), '');
});

test('a reload that leaves a type unchanged keeps that type view object, so caches keyed on it stay valid', () => {
  const store = new ResourceStore();
  store.replaceAll([res(CLUSTER, 'a', '1'), res(LISTENER, 'l', '1')], []);
  const clusters = store.view('', CLUSTER);
  const r = store.replaceAll([res(CLUSTER, 'a', '1'), res(LISTENER, 'l', '2')], []);
  assert.ok(r.ok);
  assert.equal(store.view('', CLUSTER), clusters);
  assert.equal(store.view('', LISTENER).get('l')?.version, '2');
});

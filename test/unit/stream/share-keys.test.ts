import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { deltaChangeKey, sotwPartialKey, SingleResourceKeys } from '../../../src/stream/share-keys';
import { CLUSTER, ENDPOINT } from '../../../src/xds/type-urls';

test('a one-resource delta key is the same whether built or remembered, and names the type and version', () => {
  const keys = new SingleResourceKeys();
  const r = { name: 'c1', version: 'v1' };
  const first = keys.delta(ENDPOINT, [r], []);
  assert.equal(first, deltaChangeKey(ENDPOINT, [r], []));
  // Equal content in another object: the key is built, not remembered, and must match.
  assert.equal(keys.delta(ENDPOINT, [{ name: 'c1', version: 'v1' }], []), first);
  assert.equal(keys.delta(ENDPOINT, [r], []), first);
  // The same object under another type must not get the remembered key.
  assert.notEqual(keys.delta(CLUSTER, [r], []), first);
  assert.equal(keys.delta(CLUSTER, [r], []), deltaChangeKey(CLUSTER, [r], []));
  assert.equal(keys.delta(ENDPOINT, [r], []), first);
  assert.notEqual(keys.delta(ENDPOINT, [{ name: 'c1', version: 'v2' }], []), first);
  // Removed names change the key even with the same resource.
  assert.notEqual(keys.delta(ENDPOINT, [r], ['gone']), first);
  // Another server's table remembers nothing of this one's, and gives the same key.
  assert.equal(new SingleResourceKeys().delta(ENDPOINT, [r], []), first);
});

test('a one-resource SotW key is one object per (resource, type, version_info), never a string per lookup', () => {
  const keys = new SingleResourceKeys();
  const r = { name: 'c1', version: 'v1' };
  const k = keys.sotw(ENDPOINT, [r], 'state-a');
  assert.equal(typeof k, 'object');
  assert.equal(keys.sotw(ENDPOINT, [r], 'state-a'), k, 'the same key for every stream at that state');
  // The body carries version_info: another state version must not share it.
  assert.notEqual(keys.sotw(ENDPOINT, [r], 'state-b'), k);
  assert.equal(keys.sotw(ENDPOINT, [r], 'state-b'), keys.sotw(ENDPOINT, [r], 'state-b'));
  // Another resource object (a new version of it) gets its own keys.
  assert.notEqual(keys.sotw(ENDPOINT, [{ name: 'c1', version: 'v2' }], 'state-a'), k);
  // Under another type the same object must not get this type's key.
  const other = keys.sotw(CLUSTER, [r], 'state-a');
  assert.notEqual(other, k);
  assert.equal(other, sotwPartialKey(CLUSTER, [r], 'state-a'));
  // More than one resource: the built string key, as before.
  const two = [r, { name: 'c2', version: 'v1' }];
  assert.equal(keys.sotw(ENDPOINT, two, 'state-a'), sotwPartialKey(ENDPOINT, two, 'state-a'));
});

test('a resource seen at many state versions stops remembering keys and falls back to built string keys', () => {
  const keys = new SingleResourceKeys();
  const r = { name: 'c1', version: 'v1' };
  const made = new Set<unknown>();
  for (let i = 0; i < 100; i++) made.add(keys.sotw(ENDPOINT, [r], `s${i}`));
  assert.equal(made.size, 100, 'every state version still has a key of its own');
  assert.equal(keys.sotw(ENDPOINT, [r], 's99'), sotwPartialKey(ENDPOINT, [r], 's99'));
  assert.equal(typeof keys.sotw(ENDPOINT, [r], 's0'), 'object', 'early versions keep their objects');
});

test('alone gives one shared one-element array per resource and type', () => {
  const keys = new SingleResourceKeys();
  const r = { name: 'c1', version: 'v1' };
  const a = keys.alone(ENDPOINT, r);
  assert.deepEqual(a, [r]);
  assert.equal(keys.alone(ENDPOINT, r), a);
  const c = keys.alone(CLUSTER, r);
  assert.deepEqual(c, [r]);
});

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { deltaChangeKey } from '../../../src/stream/share-keys';
import { CLUSTER, ENDPOINT } from '../../../src/xds/type-urls';

test('a one-resource delta key is the same whether built or remembered, and names the type and version', () => {
  const r = { name: 'c1', version: 'v1' };
  const first = deltaChangeKey(ENDPOINT, [r], []);
  // Equal content in another object: the key is built, not remembered, and must match.
  assert.equal(deltaChangeKey(ENDPOINT, [{ name: 'c1', version: 'v1' }], []), first);
  assert.equal(deltaChangeKey(ENDPOINT, [r], []), first);
  // The same object under another type must not get the remembered key.
  assert.notEqual(deltaChangeKey(CLUSTER, [r], []), first);
  assert.equal(deltaChangeKey(ENDPOINT, [r], []), first);
  assert.notEqual(deltaChangeKey(ENDPOINT, [{ name: 'c1', version: 'v2' }], []), first);
  // Removed names change the key even with the same resource.
  assert.notEqual(deltaChangeKey(ENDPOINT, [r], ['gone']), first);
});

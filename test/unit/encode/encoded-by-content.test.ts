import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EncodedByContent } from '../../../src/encode/encoded-by-content';

test('results are found again by type and JSON text, and the same body under another type is another entry', () => {
  const memo = new EncodedByContent<string>();
  memo.set(EncodedByContent.keyOf('type/a', { name: 'x', n: 1 }), 'encoded a');
  assert.equal(memo.get(EncodedByContent.keyOf('type/a', { name: 'x', n: 1 })), 'encoded a');
  assert.equal(memo.get(EncodedByContent.keyOf('type/b', { name: 'x', n: 1 })), undefined);
  assert.equal(memo.get(EncodedByContent.keyOf('type/a', { name: 'x', n: 2 })), undefined);
});

test('a full memo starts over instead of growing past its bound', () => {
  const memo = new EncodedByContent<number>(3);
  for (let i = 0; i < 3; i++) memo.set(`k${i}`, i);
  assert.equal(memo.size, 3);
  memo.set('k3', 3);
  assert.equal(memo.size, 1);
  assert.equal(memo.get('k0'), undefined);
  assert.equal(memo.get('k3'), 3);
});

/**
 * @module test/unit/stream/name-set-pool.test
 * Subscriptions with equal names share one pooled set, and the pool lets a
 * set go once no subscription holds it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { NameSetPool, nameHashes } from '../../../src/stream/name-set-pool';
import { collectGarbage } from '../../helpers/gc';

function hashed(names: readonly string[]): [Set<string>, number, number] {
  let h1 = 0;
  let h2 = 0;
  for (const n of names) {
    const [a, b] = nameHashes(n);
    h1 ^= a;
    h2 ^= b;
  }
  return [new Set(names), h1 >>> 0, h2 >>> 0];
}

test('an equal set is shared; a different one is pooled as itself', () => {
  const pool = new NameSetPool();
  const names = Array.from({ length: 20 }, (_, i) => `n${i}`);
  const [a, h1, h2] = hashed(names);
  assert.equal(pool.share(a, h1, h2), a);
  const [b] = hashed([...names].reverse());
  assert.equal(pool.share(b, h1, h2), a, 'same names in another order share the first set');
  const [c, c1, c2] = hashed(['x', ...names.slice(1)]);
  assert.equal(pool.share(c, c1, c2), c);
});

test('a pooled set no subscription holds any more is let go with its slot', async () => {
  const pool = new NameSetPool();
  // In a function of its own, so no local of this async test keeps the last set alive across the await.
  const fill = (): void => {
    for (let i = 0; i < 50; i++) {
      const [set, h1, h2] = hashed(Array.from({ length: 1000 }, (_, j) => `wave-${i}-${j}`));
      pool.share(set, h1, h2);
    }
  };
  fill();
  assert.equal(pool.size, 50);
  await collectGarbage();
  assert.equal(pool.size, 0, 'every set was released once nothing held it');
});

/**
 * @module test/unit/stream/delta-subscribes.test
 * A type's first delta subscribe list, the same bytes from thousands of
 * streams, is applied once; the others take over the result. Taking over
 * must give exactly what applying would, per type.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DeltaFirstSubscribes } from '../../../src/stream/delta-subscribes';
import { NameSetPool } from '../../../src/stream/name-set-pool';
import { Subscription } from '../../../src/stream/subscription';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const NAMES = ['*', ...Array.from({ length: 20 }, (_, i) => `n-${i}`)];
const same = (n: string): string => n;

/** A list whose names fail the test if read: a stream taking over a recorded list must not decode it. */
function undecodable(key: Buffer): { subscribeKey: Buffer; readonly subscribe: readonly string[] } {
  return {
    subscribeKey: key,
    get subscribe(): readonly string[] {
      throw new Error('names decoded although the list was recorded');
    },
  };
}

test('a recorded first subscribe is taken over without decoding, as the same set and wildcard, per type', () => {
  const memo = new DeltaFirstSubscribes();
  const pool = new NameSetPool();
  const key = Buffer.from('interned list bytes');
  const first = new Subscription(pool);
  memo.apply(CDS, first, { subscribeKey: key, subscribe: NAMES }, true, same);
  assert.equal(memo.recorded, 1);
  const second = new Subscription(pool);
  memo.apply(CDS, second, undecodable(key), true, same);
  assert.equal(second.names, first.names);
  assert.equal(second.wildcard, true);
  assert.equal(second.namesFrozen, true, 'a taken-over set is shared, so never written');

  // The same bytes for a type without wildcard: `*` means nothing there, so it is applied afresh.
  const eds = new Subscription(pool);
  memo.apply(EDS, eds, { subscribeKey: key, subscribe: NAMES }, false, same);
  assert.equal(eds.wildcard, false);
  assert.equal(memo.recorded, 2);
});

test('a list without a key, or too small to pool, is applied and not recorded', () => {
  const memo = new DeltaFirstSubscribes();
  const pool = new NameSetPool();
  const sub = new Subscription(pool);
  memo.apply(EDS, sub, { subscribe: NAMES }, false, same);
  assert.equal(sub.names.size, NAMES.length - 1, '`*` is not a name');
  const small = new Subscription(pool);
  memo.apply(EDS, small, { subscribeKey: Buffer.from('small'), subscribe: ['a', 'b'] }, false, same);
  assert.deepEqual([...small.names], ['a', 'b']);
  assert.equal(memo.recorded, 0);
});

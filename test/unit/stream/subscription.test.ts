import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Subscription } from '../../../src/stream/subscription';
import { NameSetPool } from '../../../src/stream/name-set-pool';

/** One server's pool: subscriptions of one server share equal name sets. */
const pool = new NameSetPool();

test('SotW: an empty first list is a legacy wildcard for wildcard-capable types only', () => {
  const cds = new Subscription(pool);
  cds.applySotw([], true);
  assert.equal(cds.wildcard, true);
  const eds = new Subscription(pool);
  eds.applySotw([], false);
  assert.equal(eds.wildcard, false);
});

test('SotW: after a named list, an empty list means nothing rather than wildcard', () => {
  const s = new Subscription(pool);
  s.applySotw([], true);
  s.applySotw(['a'], true);
  assert.equal(s.wildcard, false);
  assert.deepEqual([...s.names], ['a']);
  s.applySotw([], true);
  assert.equal(s.wildcard, false);
  assert.equal(s.names.size, 0);
});

test('SotW: "*" beside names means wildcard plus those names', () => {
  const s = new Subscription(pool);
  const d = s.applySotw(['*', 'a'], true);
  assert.equal(s.wildcard, true);
  assert.deepEqual(d.added, ['a']);
  assert.ok(s.covers('anything'));
});

test('SotW: the list is the full set; added and removed names are reported', () => {
  const s = new Subscription(pool);
  s.applySotw(['a', 'b'], false);
  const d = s.applySotw(['b', 'c'], false);
  assert.deepEqual(d.added, ['c']);
  assert.deepEqual(d.removed, ['a']);
});

test('delta: legacy wildcard on an empty first request; a later named subscribe keeps it', () => {
  const s = new Subscription(pool);
  s.applyDelta([], [], true, true);
  assert.equal(s.wildcard, true);
  s.applyDelta(['a'], [], false, true);
  assert.equal(s.wildcard, true);
  const d = s.applyDelta([], ['*'], false, true);
  assert.equal(s.wildcard, false);
  assert.equal(d.wildcardRemoved, true);
  assert.ok(s.covers('a'));
  assert.ok(!s.covers('b'));
});

test('delta: a name both subscribed and unsubscribed in one request ends unsubscribed', () => {
  const s = new Subscription(pool);
  const d = s.applyDelta(['x'], ['x'], true, false);
  assert.equal(s.covers('x'), false);
  assert.deepEqual(d.added, []);
});

test('streams subscribing to the same names end up sharing one set, and a later change copies it first', () => {
  const names = Array.from({ length: 100 }, (_, i) => `cla-${i}`);
  const a = new Subscription(pool);
  const b = new Subscription(pool);
  a.applySotw(names, false);
  b.applyDelta([...names].reverse(), [], true, false);
  assert.equal(a.names, b.names, 'equal sets are one object');
  b.applyDelta(['extra'], [], false, false);
  assert.notEqual(a.names, b.names);
  assert.equal(a.names.has('extra'), false, 'the shared set was not changed under the other stream');
  assert.equal(b.names.size, 101);
});

test('a SotW list change recorded on one stream replays identically on another', () => {
  const before = Array.from({ length: 40 }, (_, i) => `c${i}`);
  const after = [...before.slice(1), 'c99'];
  const a = new Subscription(pool);
  const b = new Subscription(pool);
  a.applySotw(before, false);
  b.applySotw(before, false);
  const delta = a.applySotw(after, false);
  const t = a.snapshot(delta);
  assert.ok(t, 'pooled sets can be snapshotted');
  const replayed = b.adopt(t);
  assert.deepEqual(replayed, delta);
  assert.deepEqual(delta.added, ['c99']);
  assert.deepEqual(delta.removed, ['c0']);
  assert.equal(b.names, a.names);
});

test('subscriptions that name nothing share one empty set, and the first name gives a stream its own', () => {
  const a = new Subscription(pool);
  const b = new Subscription(pool);
  b.applyDelta([], [], true, true);
  assert.equal(a.names, b.names, 'no Set per name-less subscription');
  assert.equal(b.wildcard, true);
  b.applyDelta(['x'], [], false, true);
  assert.deepEqual([...b.names], ['x']);
  assert.equal(a.names.size, 0, 'the shared empty set is never written');
  assert.equal(new Subscription(pool).names.size, 0);
});

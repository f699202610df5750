/**
 * @module test/unit/stream/view-cover.test
 * "Does this subscription want exactly this view?" decides whether a client
 * holding nothing is sent the whole view as one shared body: a wrong yes
 * sends resources the client did not ask for, or hides a missing name.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ViewCover } from '../../../src/stream/view-cover';
import { NameSetPool } from '../../../src/stream/name-set-pool';
import { Subscription } from '../../../src/stream/subscription';
import type { EncodedResource } from '../../../src/encode';

/** More names than ViewCover checks directly, so pooled sets go through its memo. */
const NAMES = Array.from({ length: 80 }, (_, i) => `cla-${i}`);

function viewOf(names: readonly string[]): ReadonlyMap<string, EncodedResource> {
  return new Map(names.map((n) => [n, { name: n, version: `v-${n}` } as EncodedResource]));
}

function subscribed(pool: NameSetPool, names: readonly string[], wildcardCapable = false): Subscription {
  const sub = new Subscription(pool);
  sub.applyDelta(names, [], true, wildcardCapable);
  return sub;
}

test('explicit names cover a view exactly only when they are its names, no more and no fewer', () => {
  const cover = new ViewCover();
  const pool = new NameSetPool();
  const view = viewOf(NAMES);
  assert.equal(cover.exactly(view, subscribed(pool, NAMES)), true);
  assert.equal(cover.exactly(view, subscribed(pool, NAMES.slice(1))), false, 'one name fewer');
  assert.equal(cover.exactly(view, subscribed(pool, [...NAMES, 'cla-missing'])), false, 'one name the view lacks');
  assert.equal(cover.exactly(view, subscribed(pool, [...NAMES.slice(1), 'cla-missing'])), false, 'same size, one name swapped');
  assert.equal(cover.exactly(viewOf(NAMES.slice(0, 3)), subscribed(pool, NAMES.slice(0, 3))), true, 'a small own set is checked directly');
});

test('a wildcard covers the view exactly unless it also names something outside it', () => {
  const cover = new ViewCover();
  const pool = new NameSetPool();
  const view = viewOf(NAMES);
  assert.equal(cover.exactly(view, subscribed(pool, ['*'], true)), true);
  assert.equal(cover.exactly(view, subscribed(pool, ['*', 'cla-3'], true)), true, 'an explicit name inside the view adds nothing');
  assert.equal(cover.exactly(view, subscribed(pool, ['*', 'missing'], true)), false);
  assert.equal(cover.exactly(view, subscribed(pool, ['*'], false)), false, '`*` is no wildcard for a type that has none');
});

test('the answer for a pooled set is worked out once per view, and a new view is asked again', () => {
  const cover = new ViewCover();
  const pool = new NameSetPool();
  const a = subscribed(pool, NAMES);
  const b = subscribed(pool, [...NAMES].reverse());
  assert.equal(a.names, b.names, 'equal names share one pooled set');
  const view = viewOf(NAMES);
  assert.equal(cover.exactly(view, a), true);
  assert.equal(cover.exactly(view, b), true);
  assert.equal(cover.computed, 1);
  assert.equal(cover.exactly(viewOf(NAMES.slice(1)), a), false, 'a view without cla-0');
  assert.equal(cover.computed, 1, 'sizes differ: answered without a walk');
  assert.equal(cover.exactly(viewOf([...NAMES.slice(1), 'cla-other']), a), false);
  assert.equal(cover.computed, 2);
});

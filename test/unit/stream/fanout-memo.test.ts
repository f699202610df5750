/**
 * @module test/unit/stream/fanout-memo.test
 * What a stream's full SotW response carries (FanoutMemo.subscribedIn): the
 * view's own shared array when the stream names every resource of the view,
 * otherwise only the resources it names that exist.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { EncodedResource } from '../../../src/encode';
import { FanoutMemo } from '../../../src/stream/fanout-memo';

type View = ReadonlyMap<string, EncodedResource>;

/** An immutable view as the store hands out: name → resource (only the name matters here). */
const view = (names: readonly string[]): View => new Map(names.map((name) => [name, { name, version: 'v' } as EncodedResource]));

const memo = new FanoutMemo();
const names = Array.from({ length: 40 }, (_, i) => `c${i}`);
const v = view(names);
const all = memo.subscribedIn(v, wildcard());

function wildcard(): ReturnType<FanoutMemo['subscription']> {
  const s = memo.subscription();
  s.applySotw([], true);
  return s;
}

function subscribed(list: readonly string[]): ReturnType<FanoutMemo['subscription']> {
  const s = memo.subscription();
  s.applySotw(list, false);
  return s;
}

test('a stream naming every resource of the view gets the view’s shared array, also with extra names that do not exist', () => {
  assert.equal(all.length, 40);
  assert.equal(memo.subscribedIn(v, subscribed(names)), all);
  assert.equal(memo.subscribedIn(v, subscribed([...names, 'missing'])), all);
});

test('a stream missing one resource of the view gets only the ones it names, even when it names as many (one that does not exist)', () => {
  const oneSwapped = [...names.slice(1), 'missing'];
  const got = memo.subscribedIn(v, subscribed(oneSwapped));
  assert.notEqual(got, all);
  assert.deepEqual(
    got.map((r) => r.name),
    names.slice(1),
  );
  assert.deepEqual(
    memo.subscribedIn(v, subscribed(['c3', 'c5'])).map((r) => r.name),
    ['c3', 'c5'],
  );
});

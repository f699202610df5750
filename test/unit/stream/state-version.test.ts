import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { EncodedResource } from '../../../src/encode';
import { StateVersions, versionOfResources } from '../../../src/stream/state-version';
import { NameSetPool, SHARE_MIN_NAMES } from '../../../src/stream/name-set-pool';
import { Subscription } from '../../../src/stream/subscription';

const pool = new NameSetPool();
const versions = new StateVersions();
const stateVersion = (v: View, sub: Subscription): string => versions.of(v, sub);

type View = ReadonlyMap<string, EncodedResource>;

/** An immutable view as the store hands out: name → resource (only name and version matter here). */
const view = (entries: readonly (readonly [string, string])[]): View => new Map(entries.map(([name, version]) => [name, { name, version } as EncodedResource]));

function named(names: readonly string[]): Subscription {
  const s = new Subscription(pool);
  s.applySotw(names, false);
  return s;
}

const many = Array.from({ length: SHARE_MIN_NAMES + 4 }, (_, i) => `cla-${i}`);

test('the state version depends on the subscribed names and versions, not on their order', () => {
  const v = view([
    ['a', '1'],
    ['b', '2'],
    ['c', '3'],
  ]);
  assert.equal(stateVersion(v, named(['a', 'b'])), stateVersion(v, named(['b', 'a'])));
  assert.notEqual(stateVersion(v, named(['a', 'b'])), stateVersion(v, named(['a', 'c'])));
  assert.notEqual(
    stateVersion(v, named(['a', 'b'])),
    stateVersion(
      view([
        ['a', '1'],
        ['b', '9'],
      ]),
      named(['a', 'b']),
    ),
  );
});

test('names that do not exist do not change the state version', () => {
  const v = view([['a', '1']]);
  assert.equal(stateVersion(v, named(['a', 'ghost'])), stateVersion(v, named(['a'])));
});

test('a wildcard subscription has the version of the whole view, the same as naming every resource', () => {
  const v = view([
    ['a', '1'],
    ['b', '2'],
  ]);
  const wildcard = new Subscription(pool);
  wildcard.applySotw([], true);
  assert.equal(stateVersion(v, wildcard), stateVersion(v, named(['a', 'b'])));
  assert.equal(stateVersion(v, wildcard), versionOfResources([...v.values()]));
});

test('a pooled name set gets the same version as an equal set held by one stream, and a new view a new one', () => {
  const entries = many.map((n) => [n, 'v1'] as const);
  const v1 = view(entries);
  const pooled = named(many);
  assert.equal(pooled.namesFrozen, true);
  const direct = versionOfResources([...v1.values()]);
  assert.equal(stateVersion(v1, pooled), direct);
  assert.equal(stateVersion(v1, named([...many].reverse())), direct, 'memoised per (view, set), same answer for an equal set');
  const v2 = view(entries.map(([n], i) => [n, i === 3 ? 'v2' : 'v1'] as const));
  assert.notEqual(stateVersion(v2, pooled), direct);
  assert.equal(stateVersion(v2, pooled), versionOfResources([...v2.values()]));
});

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { KnownVersions } from '../../../src/stream/known-versions';
import type { EncodedResource } from '../../../src/encode';

const view = (entries: [string, string][]): Map<string, EncodedResource> => new Map(entries.map(([name, version]) => [name, { name, version } as EncodedResource]));

test('starts from initial_resource_versions', () => {
  const k = new KnownVersions(new Map([['a', 'v1']]));
  assert.equal(k.get('a'), 'v1');
  assert.equal(k.has('b'), false);
});

test('after resetTo a view, reads come from the shared view and writes go to the overlay', () => {
  const base = view([
    ['a', '1'],
    ['b', '1'],
  ]);
  const k = new KnownVersions();
  k.resetTo(base);
  assert.equal(k.overlaySize, 0);
  assert.deepEqual(k.keys().sort(), ['a', 'b']);
  k.set('a', '2');
  k.delete('b');
  k.set('c', '1');
  assert.equal(k.get('a'), '2');
  assert.equal(k.has('b'), false);
  assert.deepEqual(k.keys().sort(), ['a', 'c']);
  k.set('a', '1');
  assert.equal(k.overlaySize, 2, 'setting a base version back drops the overlay entry');
});

test('maybeRebase shares a newer view once the client holds exactly it', () => {
  const k = new KnownVersions();
  const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
  for (const n of names) k.set(n, '1');
  const newer = view(names.map((n) => [n, '1']));
  k.maybeRebase(newer);
  assert.equal(k.overlaySize, 0);
  assert.equal(k.get('n7'), '1');
  const k2 = new KnownVersions();
  for (const n of names.slice(1)) k2.set(n, '1');
  k2.maybeRebase(newer);
  assert.equal(k2.overlaySize, 39, 'a client missing one name keeps its overlay');
});

test('fromInitial shares the view when the client holds exactly it', () => {
  const base = view([
    ['a', '1'],
    ['b', '1'],
  ]);
  const k = KnownVersions.fromInitial(
    new Map([
      ['a', '1'],
      ['b', '1'],
    ]),
    base,
  );
  assert.equal(k.isExactly(base), true);
  assert.equal(k.overlaySize, 0);
  assert.deepEqual(k.keys().sort(), ['a', 'b']);
});

test('fromInitial over a mostly held view reads back exactly what the client reported', () => {
  const names = Array.from({ length: 10 }, (_, i) => `n${i}`);
  const base = view(names.map((n) => [n, '1']));
  // n0 at another version, n1 not held, `extra` not in the view, the rest held as in the view.
  const initial = new Map<string, string>([['n0', 'old'], ['extra', '7'], ...names.slice(2).map((n): [string, string] => [n, '1'])]);
  const k = KnownVersions.fromInitial(initial, base);
  assert.equal(k.isExactly(base), false);
  assert.deepEqual(k.keys().sort(), [...initial.keys()].sort());
  for (const [n, v] of initial) assert.equal(k.get(n), v, n);
  assert.equal(k.has('n1'), false);
  assert.equal(k.overlaySize, 3, 'only the differences are private');
});

test('fromInitial keeps a private map when the client holds little of the view', () => {
  const base = view(Array.from({ length: 10 }, (_, i): [string, string] => [`n${i}`, '1']));
  const k = KnownVersions.fromInitial(
    new Map([
      ['n0', '1'],
      ['other', '2'],
    ]),
    base,
  );
  assert.deepEqual(k.keys().sort(), ['n0', 'other']);
  assert.equal(k.has('n5'), false);
  assert.equal(k.overlaySize, 2);
  assert.equal(KnownVersions.fromInitial(new Map(), base).keys().length, 0);
});

test('an overlay that empties again reads through to the shared view, and copies stay independent', () => {
  const base = view([['a', '1']]);
  const k = new KnownVersions();
  k.resetTo(base);
  k.set('a', '2');
  k.set('a', '1');
  assert.equal(k.overlaySize, 0);
  assert.equal(k.isExactly(base), true, 'back to sharing the view once the overlay is empty');
  k.delete('a');
  const c = k.copy();
  k.set('a', '1');
  assert.equal(k.get('a'), '1');
  assert.equal(c.has('a'), false, 'a copy keeps the entries it was made with');
  const fresh = new KnownVersions();
  fresh.set('z', '1');
  fresh.delete('z');
  assert.equal(fresh.has('z'), false);
  assert.equal(fresh.overlaySize, 0);
});

test('a client holding all of a small view shares it instead of a private copy', () => {
  const small = view([
    ['l1', '1'],
    ['l2', '1'],
  ]);
  const k = new KnownVersions();
  k.set('l1', '1');
  k.maybeRebase(small);
  assert.equal(k.overlaySize, 1, 'half the view held: nothing to share yet');
  k.set('l2', '1');
  k.maybeRebase(small);
  assert.equal(k.isExactly(small), true);
  k.set('l2', '2');
  k.maybeRebase(small);
  assert.equal(k.get('l2'), '2', 'a differing version keeps its own entry');
  assert.equal(k.isExactly(small), false);
});

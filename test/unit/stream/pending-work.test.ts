import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PendingWork } from '../../../src/stream/pending-work';

test('updates dominate removals, whatever the order they arrive in', () => {
  const p = new PendingWork();
  assert.equal(p.kind, 'none');
  p.add('a', 'removals');
  assert.equal(p.kind, 'removals');
  p.add('b', 'updates');
  p.add('c', 'removals');
  assert.equal(p.kind, 'updates');
});

test('hasAny covers names, everything, and an owed empty response', () => {
  const p = new PendingWork();
  assert.equal(p.hasAny(), false);
  p.add('a', 'updates');
  assert.equal(p.hasAny(), true);
  p.take();
  p.addAll('updates', false);
  assert.equal(p.hasAny(), true);
  p.take();
  p.addAll('removals', true);
  p.all = false;
  assert.equal(p.hasAny(), true, 'mustRespond alone is work');
});

test('take empties everything and reports whether a response was owed', () => {
  const p = new PendingWork();
  p.add('a', 'updates', true);
  p.addAll('updates', true);
  assert.equal(p.forced('a'), true);
  assert.equal(p.take(), true);
  assert.equal(p.hasAny(), false);
  assert.equal(p.kind, 'none');
  assert.equal(p.forced('a'), false);
  assert.equal(p.names().size, 0);
  assert.equal(p.take(), false);
});

test('while everything is owed, names are not collected but forced resends are kept', () => {
  const p = new PendingWork();
  p.addAll('updates', false);
  p.add('a', 'updates', true);
  p.add('b', 'updates');
  assert.equal(p.names().size, 0);
  assert.equal(p.forced('a'), true);
  assert.equal(p.forced('b'), false);
});

test('drop forgets a name the client no longer wants', () => {
  const p = new PendingWork();
  p.add('a', 'updates');
  p.drop('a');
  assert.equal(p.names().has('a'), false);
});

test('names owed after a take start from empty, not from the previous round', () => {
  const p = new PendingWork();
  p.add('a', 'updates');
  p.take();
  assert.equal(p.names().size, 0);
  p.drop('a');
  p.add('b', 'updates');
  assert.deepEqual([...p.names()], ['b']);
  assert.equal(p.hasAny(), true);
});

test('one owed name is held without a set; a second distinct name makes one, and every reader sees the same names', () => {
  const p = new PendingWork();
  assert.equal(p.only, undefined);
  assert.equal(p.nameCount, 0);
  p.add('a', 'updates');
  p.add('a', 'updates');
  assert.equal(p.only, 'a');
  assert.equal(p.nameCount, 1);
  assert.equal(p.hasAny(), true);
  p.add('b', 'updates');
  assert.equal(p.only, undefined);
  assert.equal(p.nameCount, 2);
  assert.deepEqual([...p.names()].sort(), ['a', 'b']);
  p.drop('a');
  assert.equal(p.only, 'b', 'back to one name, held in the set');
  p.take();
  assert.equal(p.only, undefined);
  assert.equal(p.nameCount, 0);
  assert.equal(p.hasAny(), false);

  p.add('c', 'updates');
  assert.deepEqual([...p.names()], ['c'], 'the set view of one name');
  assert.equal(p.only, 'c');
  p.add('d', 'updates');
  assert.deepEqual([...p.names()].sort(), ['c', 'd']);
  p.take();

  p.add('e', 'updates');
  p.drop('e');
  assert.equal(p.only, undefined);
  assert.equal(p.hasAny(), false, 'dropping the one name leaves nothing owed');
  p.add('f', 'updates');
  p.addAll('updates', false);
  assert.equal(p.only, undefined, 'everything owed: no single name');
  assert.equal(p.nameCount, 0);
});

test('names() is empty while everything is owed, even for names owed before, and reading it changes nothing owed', () => {
  const p = new PendingWork();
  p.add('a', 'updates');
  assert.deepEqual([...p.names()], ['a']);
  assert.deepEqual([...p.names()], ['a'], 'read twice, the same name');
  assert.equal(p.only, 'a', 'still held as the one name');
  assert.equal(p.nameCount, 1);
  p.add('b', 'updates');
  p.addAll('updates', false);
  assert.equal(p.names().size, 0, 'everything owed: the names are not a list to visit');
  assert.equal(p.nameCount, 0);
});

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
  assert.equal(p.names.size, 0);
  assert.equal(p.take(), false);
});

test('while everything is owed, names are not collected but forced resends are kept', () => {
  const p = new PendingWork();
  p.addAll('updates', false);
  p.add('a', 'updates', true);
  p.add('b', 'updates');
  assert.equal(p.names.size, 0);
  assert.equal(p.forced('a'), true);
  assert.equal(p.forced('b'), false);
});

test('drop forgets a name the client no longer wants', () => {
  const p = new PendingWork();
  p.add('a', 'updates');
  p.drop('a');
  assert.equal(p.names.has('a'), false);
});

test('names owed after a take start from empty, not from the previous round', () => {
  const p = new PendingWork();
  p.add('a', 'updates');
  p.take();
  assert.equal(p.names.size, 0);
  p.drop('a');
  p.add('b', 'updates');
  assert.deepEqual([...p.names], ['b']);
  assert.equal(p.hasAny(), true);
});

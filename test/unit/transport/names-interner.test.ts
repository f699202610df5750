/**
 * @module test/unit/transport/names-interner.test
 * The SotW names interner shares equal lists, holds them only while
 * someone else does, and stays within its byte budget.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { NamesInterner, RECENT_LISTS } from '../../../src/transport/names-interner';
import { collectGarbage } from '../../helpers/gc';

const list = (tag: string, bytes: number): Buffer => Buffer.from(`${tag}:`.padEnd(bytes, 'x'));

test('equal lists intern to one Buffer, a copy of the first one seen', () => {
  const interner = new NamesInterner();
  const first = list('a', 100);
  const a = interner.intern(first);
  const b = interner.intern(Buffer.from(first));
  assert.ok(a !== undefined && a === b);
  assert.notEqual(a, first, 'the table keeps its own copy, not a view of the request');
  assert.notEqual(interner.intern(list('b', 100)), a);
});

test('a list no one holds any more is let go, and its bytes are given back to the budget', async () => {
  const interner = new NamesInterner();
  let held: Buffer | undefined = interner.intern(list('big', 1024 * 1024));
  assert.ok(held);
  assert.ok(interner.bytes >= 1024 * 1024);
  held = undefined;
  await collectGarbage();
  assert.equal(interner.bytes, 0, 'every interned list was released');
  // Interning the same content again stores a fresh copy.
  assert.ok(interner.intern(list('big', 1024 * 1024)));
});

test('past its byte budget the interner declines new lists but still finds the ones it holds', () => {
  const interner = new NamesInterner(10_000);
  const kept: Buffer[] = [];
  for (let i = 0; i < 4; i++) {
    const b = interner.intern(list(`l${i}`, 2_000));
    assert.ok(b, `list ${i} fits`);
    kept.push(b);
  }
  assert.equal(interner.intern(list('l4', 2_000)), undefined, 'the fifth list would pass 10,000 bytes');
  assert.equal(interner.intern(list('l0', 2_000)), kept[0], 'a held list is still found');
  assert.ok(interner.bytes <= 10_000);
});

test('lists crafted to share a bucket hash are interned only a few at a time', () => {
  const interner = new NamesInterner();
  // Same length, same bytes at every sampled position: only unsampled bytes differ.
  const colliding = (i: number): Buffer => {
    const b = Buffer.alloc(64 * 1024, 0x61);
    b.writeUInt32LE(i, 1);
    return b;
  };
  const held: (Buffer | undefined)[] = [];
  for (let i = 0; i < 20; i++) held.push(interner.intern(colliding(i)));
  const interned = held.filter((b) => b !== undefined).length;
  assert.ok(interned > 0 && interned < 20, `${interned} of 20 colliding lists interned`);
});

test('the recently seen lists are kept most recent first, a few of them, and weakly', async () => {
  const interner = new NamesInterner();
  let keys: (Buffer | undefined)[] = Array.from({ length: RECENT_LISTS + 1 }, (_, i) => interner.intern(list(`r${i}`, 100)));
  keys.forEach((k, i) => interner.remember(k!, i));
  const seen = (): (Buffer | undefined)[] => interner.recent.map((r) => r.ref.deref());
  assert.deepEqual(seen(), keys.slice(1).reverse(), `the newest ${RECENT_LISTS}, newest first`);
  interner.remember(keys[2]!, 2);
  assert.equal(seen()[0], keys[2], 'seen again: first');
  assert.equal(interner.recent.length, RECENT_LISTS);
  assert.equal(interner.recent[0]?.names, 2);
  keys = [];
  await collectGarbage();
  assert.ok(
    seen().every((k) => k === undefined),
    'the recent lists keep none alive',
  );
});

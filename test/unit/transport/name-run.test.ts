/**
 * @module test/unit/transport/name-run.test
 * The walk both request decoders use over a run of field-3 names: where it
 * stops (buffer end, a long name, another field, a truncated name) and how
 * it counts against a limit. The decoders' own behaviour at these edges is
 * in codec.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { scanNameRun } from '../../../src/transport/name-run';
import type { NameRun } from '../../../src/transport/name-run';

/** One length-delimited field whose length fits one byte or two (names up to 16 KiB). */
function field(n: number, text: string): Buffer {
  const bytes = Buffer.from(text);
  const length = bytes.length < 0x80 ? [bytes.length] : [(bytes.length & 0x7f) | 0x80, bytes.length >>> 7];
  return Buffer.concat([Buffer.from([(n << 3) | 2, ...length]), bytes]);
}

const names = (count: number): Buffer[] => Array.from({ length: count }, (_, i) => field(3, `cla-${i}`));

function scan(bytes: Buffer, from = 0, limit = Number.POSITIVE_INFINITY): NameRun {
  const run: NameRun = { end: -1, names: -1 };
  const count = scanNameRun(bytes, from, limit, run);
  assert.equal(count, run.names, 'returns the count it writes');
  return run;
}

test('a run ending at the buffer end takes every name, up to the last byte', () => {
  const bytes = Buffer.concat(names(3));
  assert.deepEqual(scan(bytes), { end: bytes.length, names: 3 });
  const empty = Buffer.concat([field(3, 'a'), field(3, '')]);
  assert.deepEqual(scan(empty), { end: empty.length, names: 2 }, 'an empty name is a name');
});

test('a run starts wherever it is asked to, and is empty where no short name starts', () => {
  const head = field(2, 'type.googleapis.com/x');
  const bytes = Buffer.concat([head, ...names(2)]);
  assert.deepEqual(scan(bytes, head.length), { end: bytes.length, names: 2 });
  assert.deepEqual(scan(bytes, 0), { end: 0, names: 0 }, 'another field');
  assert.deepEqual(scan(bytes, bytes.length), { end: bytes.length, names: 0 }, 'at the end');
});

test('a name of 128 bytes or more (two-byte length) ends the run before it', () => {
  const short = Buffer.concat(names(2));
  const bytes = Buffer.concat([short, field(3, 'x'.repeat(128)), ...names(1)]);
  assert.deepEqual(scan(bytes), { end: short.length, names: 2 });
  assert.deepEqual(scan(Buffer.concat([field(3, 'x'.repeat(127))])).names, 1, '127 bytes still fits one length byte');
});

test('another field ends the run before it', () => {
  const run = Buffer.concat(names(2));
  assert.deepEqual(scan(Buffer.concat([run, field(4, 'u'), ...names(1)])), { end: run.length, names: 2 });
});

test('a name running past the buffer end, or a tag with no length byte, ends the run before it, unread', () => {
  const run = Buffer.concat(names(2));
  assert.deepEqual(scan(Buffer.concat([run, Buffer.from([0x1a, 0x05, 0x61])])), { end: run.length, names: 2 });
  assert.deepEqual(scan(Buffer.concat([run, Buffer.from([0x1a, 0x02, 0x61])])), { end: run.length, names: 2 }, 'one byte short');
  assert.deepEqual(scan(Buffer.concat([run, Buffer.from([0x1a])])), { end: run.length, names: 2 });
});

test('the walk stops at the first name past the limit, so a caller can refuse without reading the rest', () => {
  const all = names(10);
  const bytes = Buffer.concat(all);
  const through = (n: number): number => Buffer.concat(all.slice(0, n)).length;
  assert.deepEqual(scan(bytes, 0, 4), { end: through(5), names: 5 }, 'limit reached mid-run: one name past it, no further');
  assert.deepEqual(scan(bytes, 0, 10), { end: bytes.length, names: 10 }, 'exactly at the limit: the whole run');
  assert.deepEqual(scan(bytes, 0, 0), { end: through(1), names: 1 }, 'no names left in the budget: the first one is past it');
});

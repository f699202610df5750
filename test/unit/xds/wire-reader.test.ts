/**
 * @module test/unit/xds/wire-reader.test
 * The hand-written protobuf reader under the request decoder, at its
 * boundaries: the longest varints, cut-off input, lengths past the end, tags
 * without a field number, wire types proto3 does not use, and reads bounded
 * by a sub-message's end rather than the buffer's.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LENGTH_DELIMITED, MAX_VARINT_BYTES, WireFormatError, WireReader } from '../../../src/xds/wire-reader';

const reader = (...bytes: number[]): WireReader => new WireReader(Buffer.from(bytes));
const fails = (f: () => unknown, message: RegExp): void => assert.throws(f, (e: unknown) => e instanceof WireFormatError && message.test(e.message));

test('varints of one byte, of several bytes and of the full ten bytes read back', () => {
  assert.equal(reader(0x00).varint(), 0);
  assert.equal(reader(0x96, 0x01).varint(), 150);
  const tenBytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  assert.equal(tenBytes.length, MAX_VARINT_BYTES);
  const r = reader(...tenBytes);
  r.varint();
  assert.ok(r.done);
});

test('a varint cut off by the end, longer than ten bytes, or over 64 bits is refused with its byte offset', () => {
  fails(() => reader(0x80).varint(), /varint at byte 0 is cut off/);
  fails(() => reader(...new Array<number>(11).fill(0x80)).varint(), /longer than 10 bytes/);
  fails(() => reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02).varint(), /does not fit in 64 bits/);
});

test('a tag with field number 0, or a group wire type, is refused', () => {
  fails(() => reader(0x02).tag(), /no valid field number/);
  fails(() => reader(0x0b).tag(), /wire type 3, which proto3 does not use/);
  assert.equal(reader(0x0a).tag(), (1 << 3) | LENGTH_DELIMITED);
});

test('a length past the end of the message is refused, also when the buffer continues beyond it', () => {
  fails(() => reader(0x05, 0x61).length(1), /claims 5 bytes but only 1 are left/);
  const sub = new WireReader(Buffer.from([0x03, 0x61, 0x62, 0x63]), 0, 2);
  fails(() => sub.length(7), /field 7 at byte 0 claims 3 bytes but only 1 are left/);
});

test('a string field reads exactly its bytes, and an empty message is done at once', () => {
  const r = reader(0x03, 0x61, 0x62, 0x63, 0x00);
  assert.equal(r.string(1), 'abc');
  assert.ok(!r.done);
  assert.ok(new WireReader(Buffer.alloc(0)).done);
});

/**
 * @module test/unit/xds/wire-check.test
 * The strict wire reader and the schema check every request goes through:
 * malformed and boundary inputs (truncated lengths, overlong varints, wrong
 * wire types, huge declared lengths, nesting depth, entry counts).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { WireFormatError, WireReader } from '../../../src/xds/wire-reader';
import { MAX_NESTING_DEPTH, WireLimitError, checkMessage, decodeStrict } from '../../../src/xds/wire-check';

const root = loadProtoRoot();
const Node = root.lookupType('envoy.config.core.v3.Node');
const Status = root.lookupType('google.rpc.Status');
const Value = root.lookupType('google.protobuf.Value');
const HealthStatusSet = root.lookupType('envoy.config.core.v3.HealthStatusSet');
const Histogram = root.lookupType('envoy.config.metrics.v3.HistogramBucketSettings');

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');

function lengthDelimited(field: number, payload: Buffer): Buffer {
  const len: number[] = [];
  let n = payload.length;
  while (n >= 0x80) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...len]), payload]);
}

/** A google.protobuf.Value holding structs nested `levels` Values deep: Value{struct{fields{"a": Value{…}}}}. */
function nestedValue(levels: number): Buffer {
  let value = hex('1a0178'); // Value{string_value: "x"}
  for (let i = 1; i < levels; i++) {
    const entry = Buffer.concat([lengthDelimited(1, Buffer.from('a')), lengthDelimited(2, value)]);
    value = lengthDelimited(5, lengthDelimited(1, entry)); // Value{struct_value: Struct{fields: {a: value}}}
  }
  return value;
}

test('a string field that claims more bytes than the message has is refused, naming the field and the shortfall', () => {
  // Node{id: 100 bytes claimed, "abc" present}: protobufjs alone decodes this as id "abc".
  assert.equal((Node.decode(hex('0a64616263')) as unknown as { id: string }).id, 'abc');
  assert.throws(
    () => checkMessage(Node, hex('0a64616263')),
    (e: Error) => e instanceof WireFormatError && /field 1 at byte 1 claims 100 bytes but only 3 are left/.test(e.message),
  );
});

test('a declared length far beyond the message (2^35 bytes) is refused without allocating it', () => {
  assert.throws(() => checkMessage(Node, hex('0a 8080808080 01 61')), /claims 34359738368 bytes but only 1 are left/);
});

test('a varint of 11 bytes is refused; one of 10 bytes with a last byte of 1 (all 64 bits) is accepted', () => {
  assert.throws(() => checkMessage(Status, hex('08 ffffffffffffffffff ff 01')), /varint at byte 1 is longer than 10 bytes/);
  assert.throws(() => checkMessage(Status, hex('08 ffffffffffffffffff 02')), /varint at byte 1 does not fit in 64 bits/);
  // code = -1 as int32 is sign-extended to 10 bytes on the wire.
  const status = decodeStrict(Status, hex('08 ffffffffffffffffff 01 12 026f6b'));
  assert.equal(status['code'], -1);
  assert.equal(status['message'], 'ok');
});

test('a varint cut off by the end of the message is refused', () => {
  assert.throws(() => checkMessage(Status, hex('08 ff')), /varint at byte 1 is cut off/);
});

test('a known field with the wrong wire type is refused, naming the field; protobufjs alone would read it as its declared type', () => {
  assert.throws(() => checkMessage(Node, hex('0d 61626364')), /id \(field 1\) is length-delimited but came as fixed32/);
  assert.throws(() => checkMessage(Status, hex('0a 026f6b')), /code \(field 1\) is varint but came as length-delimited/);
});

test('unknown fields of every proto3 wire type are skipped; a group or field number 0 is refused', () => {
  const unknown = hex('f801 05  f901 0102030405060708  fa01 03616263  fd01 01020304  0a 016e');
  assert.equal(decodeStrict(Node, unknown)['id'], 'n');
  assert.throws(() => checkMessage(Node, hex('fb01')), /wire type 3, which proto3 does not use/);
  assert.throws(() => checkMessage(Node, hex('02 00')), /has no valid field number/);
});

test('an unknown length-delimited field that runs past the end is refused', () => {
  assert.throws(() => checkMessage(Node, hex('fa01 0a 6162')), /field 31 at byte 2 claims 10 bytes but only 2 are left/);
});

test(`messages nested ${MAX_NESTING_DEPTH} deep are accepted and deeper ones are refused`, () => {
  // Each level of nestedValue adds a Struct, a map entry and a Value: depth counts every message, map entries too.
  const depthOf = (levels: number): number => 3 * (levels - 1) + 1;
  const levels = Math.floor((MAX_NESTING_DEPTH - 1) / 3) + 1;
  assert.equal(depthOf(levels), MAX_NESTING_DEPTH, 'the test builds exactly the deepest accepted nesting');
  assert.doesNotThrow(() => checkMessage(Value, nestedValue(levels)));
  assert.throws(() => checkMessage(Value, nestedValue(levels + 1)), new RegExp(`nests messages more than ${MAX_NESTING_DEPTH} deep`));
  assert.throws(() => checkMessage(Value, nestedValue(2), { maxDepth: 3 }), /more than 3 deep/);
  assert.doesNotThrow(() => checkMessage(Value, nestedValue(2), { maxDepth: 4 }));
});

test('repeated entries are counted as they are met and refused past maxEntries, with the field path', () => {
  const features = Buffer.concat(Array.from({ length: 11 }, (_, i) => lengthDelimited(10, Buffer.from(`f${i}`))));
  assert.equal(checkMessage(Node, features), 11);
  assert.doesNotThrow(() => checkMessage(Node, features, { maxEntries: 11 }));
  assert.throws(
    () => checkMessage(Node, features, { maxEntries: 10 }),
    (e: Error) => e instanceof WireLimitError && e.path === 'clientFeatures' && e.limit === 10,
  );
  // Map entries count too, at any depth: node.metadata.fields.
  const metadata = lengthDelimited(3, Buffer.concat(Array.from({ length: 3 }, (_, i) => lengthDelimited(1, lengthDelimited(1, Buffer.from(`k${i}`))))));
  assert.throws(
    () => checkMessage(Node, metadata, { maxEntries: 2 }),
    (e: Error) => e instanceof WireLimitError && e.path === 'metadata.fields',
  );
});

test('repeated scalars are accepted packed or not; a packed run is checked and each value counted', () => {
  assert.equal(checkMessage(HealthStatusSet, hex('0a 03 010203')), 3, 'packed enum values');
  assert.equal(checkMessage(HealthStatusSet, hex('08 01 08 02')), 2, 'unpacked enum values');
  assert.throws(() => checkMessage(HealthStatusSet, hex('0a 02 01ff')), /cut off/, 'a packed varint cut off');
  assert.throws(() => checkMessage(HealthStatusSet, hex('0a 03 010203'), { maxEntries: 2 }), WireLimitError);
  assert.equal(checkMessage(Histogram, lengthDelimited(2, Buffer.alloc(16))), 2, 'two packed doubles');
  assert.throws(() => checkMessage(Histogram, lengthDelimited(2, Buffer.alloc(12))), /not a whole number of 8-byte values/);
});

test('a map entry whose key or value has the wrong wire type is refused', () => {
  const badKey = lengthDelimited(3, lengthDelimited(1, hex('08 01')));
  assert.throws(() => checkMessage(Node, badKey), /metadata\.fields map key is length-delimited but came as varint/);
});

test('the reader never reads past the end it was given, even inside a larger buffer', () => {
  const buf = hex('0a 05 6162636465');
  const r = new WireReader(buf, 0, 4);
  r.tag();
  assert.throws(() => r.string(1), /claims 5 bytes but only 2 are left/);
});

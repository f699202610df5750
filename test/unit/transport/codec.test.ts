/**
 * @module test/unit/transport/codec.test
 * The request decoders: both discovery requests decode what a real client
 * sends, refuse malformed bytes with MalformedRequestError, and refuse a
 * request over the names limit with RequestLimitError while counting,
 * before the rest of it is read.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { MalformedRequestError, RequestCodec, RequestLimitError } from '../../../src/transport/codec';
import { encodeDeltaRequest, encodeSotwRequest } from '../../helpers/xds-codec';

const codec = new RequestCodec(loadProtoRoot());
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** One length-delimited field. */
function field(n: number, payload: Buffer | string): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from([...varint((n << 3) | 2), ...varint(bytes.length)]), bytes]);
}

const malformed =
  (pattern: RegExp) =>
  (e: Error): boolean =>
    e instanceof MalformedRequestError && pattern.test(e.message);

test('a delta request decodes every field a client sends', () => {
  const bytes = encodeDeltaRequest(
    {
      typeUrl: EDS,
      resourceNamesSubscribe: ['a', 'b'],
      resourceNamesUnsubscribe: ['c'],
      initialResourceVersions: { a: 'v1', b: 'v2' },
      responseNonce: 'n7',
      errorDetail: { code: 13, message: 'bad cluster' },
    },
    { id: 'node-1', cluster: 'c1', clientFeatures: ['f1'], metadata: { zone: 'z1' } },
  );
  const r = codec.decodeDelta(bytes);
  assert.equal(r.typeUrl, EDS);
  assert.deepEqual(r.subscribe, ['a', 'b']);
  assert.deepEqual(r.unsubscribe, ['c']);
  assert.deepEqual(
    [...r.initialVersions],
    [
      ['a', 'v1'],
      ['b', 'v2'],
    ],
  );
  assert.equal(r.responseNonce, 'n7');
  assert.deepEqual(r.errorDetail, { code: 13, message: 'bad cluster' });
  assert.equal(r.node?.id, 'node-1');
  assert.equal(r.node?.cluster, 'c1');
  assert.deepEqual(r.node?.clientFeatures, ['f1']);
  assert.deepEqual(r.node?.metadata, { zone: 'z1' });
});

test('an initial_resource_versions entry may come value first, lack its key, or repeat a name (the last wins)', () => {
  const entry = (...parts: Buffer[]): Buffer => field(5, Buffer.concat(parts));
  const bytes = Buffer.concat([field(2, EDS), entry(field(2, 'v2'), field(1, 'a')), entry(field(2, 'v0')), entry(field(1, 'b'), field(2, 'old')), entry(field(1, 'b'), field(2, 'new'))]);
  assert.deepEqual(
    [...codec.decodeDelta(bytes).initialVersions],
    [
      ['a', 'v2'],
      ['', 'v0'],
      ['b', 'new'],
    ],
  );
});

test('initial_resource_versions entries read the same whatever their lengths, characters or extra fields', () => {
  const entry = (...parts: Buffer[]): Buffer => field(5, Buffer.concat(parts));
  const long = 'x'.repeat(200);
  const bytes = Buffer.concat([
    field(2, EDS),
    entry(field(1, 'plain'), field(2, 'v1')),
    entry(field(1, long), field(2, 'v2')),
    entry(field(1, 'k'), field(2, long)),
    entry(field(1, 'caf\u00e9-\u6771'), field(2, '\u00e9')),
    entry(field(1, 'extra'), field(2, 'v3'), field(3, 'ignored')),
    entry(field(1, 'empty-version')),
    entry(field(1, ''), field(2, '')),
  ]);
  assert.deepEqual(
    [...codec.decodeDelta(bytes).initialVersions],
    [
      ['plain', 'v1'],
      [long, 'v2'],
      ['k', long],
      ['caf\u00e9-\u6771', '\u00e9'],
      ['extra', 'v3'],
      ['empty-version', ''],
      ['', ''],
    ],
  );
});

test('the delta request from the issue (type_url claims 100 bytes, has 3) is refused, not read as "abc"', () => {
  assert.throws(() => codec.decodeDelta(hex('12 64 616263')), malformed(/not a valid DeltaDiscoveryRequest: field 2 at byte 1 claims 100 bytes but only 3 are left/));
});

test('an 11-byte varint is refused in both requests', () => {
  assert.throws(() => codec.decodeDelta(hex('12 ffffffffffffffffffff 01')), malformed(/longer than 10 bytes/));
  assert.throws(() => codec.decodeSotw(hex('22 ffffffffffffffffffff 01')), malformed(/longer than 10 bytes/));
});

test('a known field with the wrong wire type is refused in both requests, naming it', () => {
  assert.throws(() => codec.decodeDelta(hex('15 61626364')), malformed(/field 2 \(type_url\) is length-delimited but came as fixed32/));
  assert.throws(() => codec.decodeSotw(hex('20 05')), malformed(/field 4 \(type_url\) is length-delimited but came as varint/));
  assert.throws(() => codec.decodeDelta(Buffer.concat([field(2, EDS), field(5, hex('08 01'))])), malformed(/initial_resource_versions entry key/));
});

test('malformed bytes inside node or error_detail are refused with the field named, in both requests', () => {
  const badNode = field(1, hex('0a 64 616263')); // Node.id claims 100 bytes
  assert.throws(() => codec.decodeDelta(badNode), malformed(/DeltaDiscoveryRequest: node: field 1 at byte 1 claims 100 bytes/));
  assert.throws(() => codec.decodeSotw(field(2, hex('0a 64 616263'))), malformed(/DiscoveryRequest: node: field 1/));
  assert.throws(() => codec.decodeSotw(field(6, hex('08 ff'))), malformed(/DiscoveryRequest: error_detail: varint at byte 1 is cut off/));
  assert.throws(() => codec.decodeDelta(field(7, hex('12 05 6f'))), malformed(/DeltaDiscoveryRequest: error_detail: field 2/));
});

test('node metadata nested deeper than the nesting limit is refused', () => {
  let value = hex('1a0178');
  for (let i = 0; i < 40; i++) value = field(5, field(1, Buffer.concat([field(1, 'a'), field(2, value)])));
  const node = field(3, field(1, Buffer.concat([field(1, 'k'), field(2, value)]))); // Node.metadata = {k: value}
  assert.throws(() => codec.decodeDelta(field(1, node)), malformed(/node: .*nests messages more than 100 deep/));
});

test('unknown fields are skipped but still bounds-checked', () => {
  const ok = Buffer.concat([field(2, EDS), field(40, 'future'), hex('f802 07')]);
  assert.equal(codec.decodeDelta(ok).typeUrl, EDS);
  assert.throws(() => codec.decodeDelta(Buffer.concat([field(2, EDS), hex('c202 09 6162')])), malformed(/field 40 at byte \d+ claims 9 bytes/));
  assert.throws(() => codec.decodeSotw(Buffer.concat([field(4, EDS), hex('c202 09 6162')])), malformed(/field 40 at byte \d+ claims 9 bytes/));
});

/** `count` fields `n`, each a short name, then bytes that are not protobuf at all. */
function namesThenGarbage(fieldNumber: number, count: number, entry: (i: number) => Buffer): Buffer {
  const parts: Buffer[] = [field(2, EDS)];
  for (let i = 0; i < count; i++) parts.push(field(fieldNumber, entry(i)));
  parts.push(hex('12 ff 01 00')); // type_url claiming 255 bytes: malformed
  return Buffer.concat(parts);
}

test('a delta request over the names limit is refused while counting, before the rest is read or any name is built', () => {
  const limit = 1_000;
  for (const [fieldNumber, entry] of [
    [3, (i: number) => Buffer.from(`s${i}`)],
    [4, (i: number) => Buffer.from(`u${i}`)],
    [5, (i: number) => Buffer.concat([field(1, `n${i}`), field(2, 'v1')])],
  ] as const) {
    const bytes = namesThenGarbage(fieldNumber, limit + 1, entry);
    // Over the limit: refused for the limit, although the bytes further on are malformed.
    assert.throws(
      () => codec.decodeDelta(bytes, { maxNames: limit }),
      (e: Error) => e instanceof RequestLimitError && e.reason === 'names' && /more than 1000 names .*raise it with --max-names-per-request/.test(e.message),
      `field ${fieldNumber}`,
    );
    // At the limit: read to the end, where the malformed bytes are found.
    assert.throws(() => codec.decodeDelta(namesThenGarbage(fieldNumber, limit, entry), { maxNames: limit }), MalformedRequestError, `field ${fieldNumber} at the limit`);
  }
  // Subscribe, unsubscribe and initial versions count together.
  const mixed = Buffer.concat([field(2, EDS), field(3, 'a'), field(4, 'b'), field(5, Buffer.concat([field(1, 'c'), field(2, 'v')]))]);
  assert.equal(codec.decodeDelta(mixed, { maxNames: 3 }).subscribe.length, 1);
  assert.throws(() => codec.decodeDelta(mixed, { maxNames: 2 }), RequestLimitError);
});

/** A delta EDS request with `entries` initial_resource_versions entries. */
function initialVersions(entries: number): Buffer {
  const head = field(2, EDS);
  const one = field(5, Buffer.concat([field(1, 'name-x'), field(2, 'v1')]));
  const bytes = Buffer.alloc(head.length + one.length * entries);
  head.copy(bytes, 0);
  for (let i = 0, o = head.length; i < entries; i++, o += one.length) one.copy(bytes, o);
  return bytes;
}

test('refusing 2 million initial_resource_versions entries over a 250,000 limit costs a fraction of decoding 250,000', () => {
  const limit = 250_000;
  const atLimit = initialVersions(limit);
  const huge = initialVersions(2_000_000);
  codec.decodeDelta(atLimit, { maxNames: limit }); // warm up
  let started = performance.now();
  codec.decodeDelta(atLimit, { maxNames: limit });
  const decodeMs = performance.now() - started;
  started = performance.now();
  assert.throws(() => codec.decodeDelta(huge, { maxNames: limit }), RequestLimitError);
  const refuseMs = performance.now() - started;
  // Relative, so a busy machine slows both: counting tags is far cheaper than building strings and map entries.
  assert.ok(refuseMs * 4 < decodeMs, `refusing took ${refuseMs.toFixed(1)} ms, decoding ${limit} entries ${decodeMs.toFixed(1)} ms`);
});

test('a SotW request over the names limit is refused while counting, before the rest is read', () => {
  const limit = 1_000;
  const parts: Buffer[] = [field(4, EDS)];
  for (let i = 0; i <= limit; i++) parts.push(field(3, `n${i}`));
  parts.push(hex('22 ff 01 00'));
  assert.throws(
    () => codec.decodeSotw(Buffer.concat(parts), { maxNames: limit }),
    (e: Error) => e instanceof RequestLimitError && /more than 1000 resource names/.test(e.message),
  );
  parts.splice(parts.length - 2, 1);
  assert.throws(() => codec.decodeSotw(Buffer.concat(parts), { maxNames: limit }), MalformedRequestError);
});

test('SotW names and resource locators count together against the limit, across runs split by other fields', () => {
  const locator = field(7, field(1, 'xdstp://a/b'));
  const n = (i: number): Buffer => field(3, `n${i}`);
  const decode = (maxNames: number, ...parts: Buffer[]) => codec.decodeSotw(Buffer.concat([field(4, EDS), ...parts]), { maxNames });
  assert.equal(decode(3, locator, n(1), n(2)).nameCount, 2);
  assert.throws(() => decode(2, locator, n(1), n(2)), RequestLimitError, 'a locator first leaves the run one name less');
  assert.throws(() => decode(2, n(1), n(2), locator), RequestLimitError, 'a locator after the names');
  assert.equal(decode(4, n(1), n(2), field(5, 'nonce'), n(3), n(4)).nameCount, 4);
  assert.throws(() => decode(3, n(1), n(2), field(5, 'nonce'), n(3), n(4)), RequestLimitError, 'the second run starts from what the first used');
  assert.throws(() => decode(2, n(1), field(3, 'x'.repeat(200)), n(3)), RequestLimitError, 'a long name between runs counts too');
});

test('equal SotW name lists are recognised by identity, and names decode lazily from the interned bytes', () => {
  const a = codec.decodeSotw(encodeSotwRequest({ typeUrl: EDS, resourceNames: ['x', 'y'], versionInfo: 'v1', responseNonce: 'n1' }, undefined));
  const b = codec.decodeSotw(encodeSotwRequest({ typeUrl: EDS, resourceNames: ['x', 'y'], versionInfo: 'v2', responseNonce: 'n2' }, { id: 'n' }));
  assert.ok(a.namesKey !== undefined && a.namesKey === b.namesKey, 'the same Buffer for equal lists');
  assert.equal(b.nameCount, 2);
  assert.deepEqual(b.resourceNames, ['x', 'y']);
  assert.equal(b.versionInfo, 'v2');
  assert.equal(b.node?.id, 'n');
  // Names split by another field are still decoded, only not interned.
  const split = codec.decodeSotw(Buffer.concat([field(3, 'p'), field(4, EDS), field(3, 'q')]));
  assert.equal(split.namesKey, undefined);
  assert.deepEqual(split.resourceNames, ['p', 'q']);
});

test('a node over the node entries limit is refused with its own limit and flag; one within it decodes on first use, once', () => {
  const node = { id: 'n', metadata: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) };
  const bytes = encodeDeltaRequest({ typeUrl: EDS }, node);
  assert.throws(
    () => codec.decodeDelta(bytes, { maxNodeEntries: 49 }),
    (e: Error) => e instanceof RequestLimitError && e.reason === 'node-entries' && /node holds more than 49 repeated entries \(reached at node\.metadata\.fields\).*--max-node-entries/.test(e.message),
  );
  assert.throws(() => codec.decodeSotw(encodeSotwRequest({ typeUrl: EDS }, node), { maxNodeEntries: 49 }), RequestLimitError);
  const r = codec.decodeDelta(bytes, { maxNodeEntries: 50 });
  assert.equal(r.node?.metadata['k49'], 'v');
  assert.equal(r.node, r.node, 'decoded once and kept');
});

test('error_detail: a negative code (10 bytes on the wire) reads as negative; its details are counted against the names limit, never decoded', () => {
  const status = Buffer.concat([hex('08 f6ffffffffffffffff01'), field(2, 'rejected'), field(3, field(1, 'type.googleapis.com/x')), field(3, Buffer.alloc(0))]);
  const r = codec.decodeSotw(Buffer.concat([field(4, EDS), field(6, status)]));
  assert.deepEqual(r.errorDetail, { code: -10, message: 'rejected' });
  assert.throws(() => codec.decodeDelta(Buffer.concat([field(2, EDS), field(7, status)]), { maxNames: 1 }), RequestLimitError);
});

test('an ACK repeating a recent list is recognised in place; a list differing in one name, longer, shorter or split is not taken for it', () => {
  const own = new RequestCodec(loadProtoRoot());
  const names = Array.from({ length: 200 }, (_, i) => `cluster-${i}`);
  const ack = (list: readonly string[], n: number): Buffer => encodeSotwRequest({ typeUrl: EDS, resourceNames: list, versionInfo: `v${n}`, responseNonce: `s${n}` }, n === 1 ? { id: 'n' } : undefined);
  const first = own.decodeSotw(ack(names, 1));
  assert.ok(first.namesKey);
  const again = own.decodeSotw(ack(names, 2));
  assert.equal(again.namesKey, first.namesKey, 'the same list is the same Buffer');
  assert.equal(again.nameCount, 200);
  assert.deepEqual(again.resourceNames, names);
  assert.equal(again.versionInfo, 'v2');
  assert.equal(again.responseNonce, 's2');
  assert.equal(again.typeUrl, EDS);

  const renamed = names.map((n, i) => (i === 100 ? 'cluster-X00' : n)); // same length, one byte differs
  const oneDiffers = own.decodeSotw(ack(renamed, 3));
  assert.notEqual(oneDiffers.namesKey, first.namesKey);
  assert.deepEqual(oneDiffers.resourceNames, renamed);

  const longer = own.decodeSotw(ack([...names, 'cluster-new'], 4));
  assert.notEqual(longer.namesKey, first.namesKey, 'a recent list followed by one more name is another list');
  assert.equal(longer.nameCount, 201);
  assert.deepEqual(longer.resourceNames, [...names, 'cluster-new']);

  const shorter = own.decodeSotw(ack(names.slice(0, 199), 5));
  assert.notEqual(shorter.namesKey, first.namesKey);
  assert.equal(shorter.nameCount, 199);

  // The recent list, then another field, then one more name: not contiguous, so not interned, and every name is seen.
  const listBytes = Buffer.concat(names.map((n) => field(3, n)));
  const split = own.decodeSotw(Buffer.concat([listBytes, field(4, EDS), field(3, 'late')]));
  assert.equal(split.namesKey, undefined);
  assert.equal(split.nameCount, 201);
  assert.deepEqual(split.resourceNames, [...names, 'late']);

  // Still recognised after the others, and still held to the names limit.
  assert.equal(own.decodeSotw(ack(names, 6)).namesKey, first.namesKey);
  assert.throws(
    () => own.decodeSotw(ack(names, 7), { maxNames: 199 }),
    (e: Error) => e instanceof RequestLimitError && /more than 199 resource names/.test(e.message),
  );
  assert.equal(own.decodeSotw(ack(names, 8), { maxNames: 200 }).namesKey, first.namesKey);
});

test('delta subscribe names decode in order whatever their length or the fields between them, and equal lists share one key', () => {
  const long = `cla-${'x'.repeat(200)}`;
  const names = ['cla-0', long, 'cla-2', 'ünïcode'];
  const contiguous = (): Buffer => Buffer.concat([field(2, EDS), ...names.map((n) => field(3, n)), field(6, 'n1')]);
  const a = codec.decodeDelta(contiguous());
  const b = codec.decodeDelta(contiguous());
  assert.deepEqual(a.subscribe, names);
  assert.equal(a.responseNonce, 'n1');
  assert.ok(a.subscribeKey, 'a contiguous list is interned');
  assert.equal(a.subscribeKey, b.subscribeKey, 'equal lists are one Buffer');
  const other = codec.decodeDelta(Buffer.concat([field(2, EDS), ...names.slice(1).map((n) => field(3, n))]));
  assert.notEqual(other.subscribeKey, a.subscribeKey);
  assert.deepEqual(other.subscribe, names.slice(1));

  // Names split by other fields: decoded in order with the others skipped, and never keyed (the bytes are not one list).
  const split = codec.decodeDelta(Buffer.concat([field(3, 'a'), field(4, 'u'), field(2, EDS), field(3, long), field(6, 'n2'), field(3, 'c')]));
  assert.deepEqual(split.subscribe, ['a', long, 'c']);
  assert.deepEqual(split.unsubscribe, ['u']);
  assert.equal(split.typeUrl, EDS);
  assert.equal(split.responseNonce, 'n2');
  assert.equal(split.subscribeKey, undefined);

  const ack = codec.decodeDelta(Buffer.concat([field(2, EDS), field(6, 'n3')]));
  assert.deepEqual(ack.subscribe, []);
  assert.equal(ack.subscribeKey, undefined);
});

test('a delta subscribe name running past the end of the request is refused, not read', () => {
  const truncated = Buffer.concat([field(2, EDS), field(3, 'cla-0'), Buffer.from([0x1a, 0x05, 0x61])]);
  assert.throws(() => codec.decodeDelta(truncated), malformed(/./));
});

test('a known type URL repeated by every ACK is the interned string each time; a URL of the same length differing in one byte is its own text', () => {
  const own = new RequestCodec(loadProtoRoot());
  const first = own.decodeSotw(Buffer.concat([field(4, EDS), field(5, 'n1')]));
  const again = own.decodeSotw(Buffer.concat([field(4, EDS), field(5, 'n2')]));
  assert.equal(first.typeUrl, EDS);
  assert.equal(again.typeUrl, EDS);
  // Same length as EDS, last byte different: an unknown type, returned as sent, never taken for EDS.
  const near = `${EDS.slice(0, -1)}X`;
  assert.equal(own.decodeSotw(field(4, near)).typeUrl, near);
  assert.equal(own.decodeSotw(field(4, near)).typeUrl, near, 'an unknown URL is not remembered as a known one');
  // A prefix of a known URL and a URL with a tail after one are not taken for it either.
  assert.equal(own.decodeSotw(field(4, EDS.slice(0, -1))).typeUrl, EDS.slice(0, -1));
  assert.equal(own.decodeSotw(field(4, `${EDS}x`)).typeUrl, `${EDS}x`);
  assert.equal(own.decodeSotw(Buffer.concat([field(4, EDS), field(5, 'n3')])).typeUrl, EDS);
  // Other known types still decode after EDS was remembered.
  const cds = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
  assert.equal(own.decodeSotw(field(4, cds)).typeUrl, cds);
  assert.equal(own.decodeSotw(field(4, cds)).typeUrl, cds);
});

test('version_info decodes on first read: absent or empty is "", UTF-8 text whole, and a repeated field reads as its last occurrence', () => {
  const own = new RequestCodec(loadProtoRoot());
  assert.equal(own.decodeSotw(field(4, EDS)).versionInfo, '');
  assert.equal(own.decodeSotw(Buffer.concat([field(1, ''), field(4, EDS)])).versionInfo, '');
  const r = own.decodeSotw(Buffer.concat([field(1, 'vé-1'), field(4, EDS), field(5, 'n')]));
  assert.equal(r.versionInfo, 'vé-1');
  assert.equal(r.versionInfo, 'vé-1', 'read twice, same text');
  assert.equal(own.decodeSotw(Buffer.concat([field(1, 'old'), field(4, EDS), field(1, 'new')])).versionInfo, 'new');
  // Fields around it keep their own values.
  assert.equal(r.responseNonce, 'n');
  assert.equal(r.typeUrl, EDS);
});

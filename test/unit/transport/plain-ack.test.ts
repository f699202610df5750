/**
 * @module test/unit/transport/plain-ack.test
 * The plain delta ACK path: only `type_url` then `response_nonce` is
 * recognised from its bytes; an ACK with any other field, a NACK, an
 * unknown field or type URL, or another field order must take the full
 * decode, and the nonce is compared byte for byte.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { RequestCodec } from '../../../src/transport/codec';
import { encodeDeltaRequest } from '../../helpers/xds-codec';

const codec = new RequestCodec(loadProtoRoot());
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

/** One length-delimited field with a one-byte tag and length. */
function field(n: number, payload: string | Buffer): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from([(n << 3) | 2, bytes.length]), bytes]);
}

test('an ACK carrying only type_url and response_nonce is recognised, with its canonical type URL', () => {
  const bytes = Buffer.concat([field(2, EDS), field(6, 'n7')]);
  const ack = codec.plainDeltaAck(bytes);
  assert.ok(ack, 'the plain ACK is recognised');
  assert.equal(ack.typeUrl, EDS);
  assert.equal(ack.matches('n7'), true);
  // The same shape as the full decode reads it.
  const full = codec.decodeDelta(bytes);
  assert.equal(full.typeUrl, ack.typeUrl);
  assert.equal(full.responseNonce, 'n7');
});

test('the same ACK encoded by protobufjs is recognised (field order as any client writes it)', () => {
  const ack = codec.plainDeltaAck(encodeDeltaRequest({ typeUrl: CDS, responseNonce: 'abc' }, undefined));
  assert.ok(ack);
  assert.equal(ack.typeUrl, CDS);
  assert.equal(ack.matches('abc'), true);
});

test('the nonce is compared byte for byte: another nonce, a prefix, a longer one and undefined do not match', () => {
  const ack = codec.plainDeltaAck(Buffer.concat([field(2, EDS), field(6, 'n7')]));
  assert.ok(ack);
  assert.equal(ack.matches('n8'), false);
  assert.equal(ack.matches('n'), false);
  assert.equal(ack.matches('n77'), false);
  assert.equal(ack.matches(undefined), false);
  assert.equal(ack.matches(''), false);
});

test('a nonce with non-ASCII characters is never matched from the bytes (the full path compares decoded strings)', () => {
  // 'é' as one latin-1 byte would equal its char code; a reply is UTF-8, so this must not match.
  const ack = codec.plainDeltaAck(Buffer.concat([field(2, EDS), field(6, Buffer.from([0xe9]))]));
  assert.ok(ack);
  assert.equal(ack.matches('é'), false);
});

test('requests with anything besides type_url and response_nonce take the full decode', () => {
  const cases: [string, Buffer][] = [
    ['an ACK that also carries the node', encodeDeltaRequest({ typeUrl: EDS, responseNonce: 'n1' }, { id: 'node-1', cluster: 'c1' })],
    ['a NACK (error_detail)', encodeDeltaRequest({ typeUrl: EDS, responseNonce: 'n1', errorDetail: { code: 3, message: 'bad' } }, undefined)],
    ['an ACK that subscribes', encodeDeltaRequest({ typeUrl: EDS, responseNonce: 'n1', resourceNamesSubscribe: ['a'] }, undefined)],
    ['an ACK that unsubscribes', encodeDeltaRequest({ typeUrl: EDS, responseNonce: 'n1', resourceNamesUnsubscribe: ['a'] }, undefined)],
    ['an ACK with an unknown field after the nonce', Buffer.concat([field(2, EDS), field(6, 'n1'), field(15, 'x')])],
    ['an ACK with an unknown field between', Buffer.concat([field(2, EDS), field(15, 'x'), field(6, 'n1')])],
    ['the nonce before the type URL', Buffer.concat([field(6, 'n1'), field(2, EDS)])],
    ['no nonce (a first request)', field(2, EDS)],
    ['an empty nonce', Buffer.concat([field(2, EDS), field(6, '')])],
    ['an empty type URL', Buffer.concat([field(2, ''), field(6, 'n1')])],
    ['a type URL no schema knows', Buffer.concat([field(2, 'type.googleapis.com/not.a.Type'), field(6, 'n1')])],
    ['a type URL that is a known one cut short', Buffer.concat([field(2, EDS.slice(0, -1)), field(6, 'n1')])],
    ['a nonce cut off by the end of the message', Buffer.concat([field(2, EDS), Buffer.from([0x32, 5]), Buffer.from('n1')])],
    ['an empty message', Buffer.alloc(0)],
  ];
  for (const [what, bytes] of cases) assert.equal(codec.plainDeltaAck(bytes), undefined, what);
});

test('a type URL seen once is matched from its bytes afterwards, and an unknown one is not remembered', () => {
  const url = 'type.googleapis.com/envoy.config.listener.v3.Listener';
  const ack = Buffer.concat([field(2, url), field(6, 'n1')]);
  assert.equal(codec.plainDeltaAck(ack)?.typeUrl, url);
  assert.equal(codec.plainDeltaAck(ack)?.typeUrl, url);
  const unknown = Buffer.concat([field(2, 'type.googleapis.com/x.Y'), field(6, 'n1')]);
  assert.equal(codec.plainDeltaAck(unknown), undefined);
  assert.equal(codec.plainDeltaAck(unknown), undefined);
});

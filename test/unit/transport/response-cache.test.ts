/**
 * @module test/unit/transport/response-cache.test
 * One built response per share key, and each built entry a nonce serial
 * higher than every earlier one, so a stream can reuse a shared message
 * without its nonce repeating.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ResponseCache } from '../../../src/transport/response-cache';

test('a second lookup of the same key reuses the built response and does not build again', () => {
  const cache = new ResponseCache();
  let builds = 0;
  const key = {};
  const first = cache.get(key, () => (builds++, Buffer.from('body')));
  const again = cache.get(key, () => (builds++, Buffer.from('other')));
  assert.equal(again, first);
  assert.equal(builds, 1);
  assert.deepEqual([cache.builds, cache.hits], [1, 1]);
  assert.equal(
    cache.get('k', () => Buffer.from('s')),
    cache.get('k', () => Buffer.from('t')),
  );
});

test('serials increase with every build across object and string keys, and the nonce is s<serial>', () => {
  const cache = new ResponseCache();
  const serials = [cache.get({}, () => Buffer.alloc(0)), cache.get('a', () => Buffer.alloc(0)), cache.get({}, () => Buffer.alloc(0)), cache.get('b', () => Buffer.alloc(0))].map((r) => r.serial);
  assert.deepEqual(serials, [1, 2, 3, 4]);
  assert.equal(cache.get('a', () => Buffer.alloc(0)).nonce, 's2');
});

test('the shared message carries the body and its own nonce, behind its gRPC prefix', () => {
  const cache = new ResponseCache();
  const r = cache.get('k', () => Buffer.from([0x0a, 0x01, 0x78]));
  const bytes = r.message.bytes;
  assert.equal(bytes[0], 0, 'not compressed');
  assert.equal(bytes.readUInt32BE(1), bytes.length - 5, 'the prefix holds the payload length');
  assert.equal(r.message.payloadLength, bytes.length - 5);
  assert.deepEqual(bytes.subarray(5, 5 + r.body.length), r.body, 'body first');
  // nonce(5), as a length-delimited field: tag 0x2a, length, the string.
  assert.deepEqual(bytes.subarray(5 + r.body.length), Buffer.concat([Buffer.from([0x2a, r.nonce.length]), Buffer.from(r.nonce)]), 'then its own nonce');
  assert.equal(r.message, r.message, 'built once');
});

test('string keys are bounded: past 4096 entries old ones are dropped and rebuilt with a new serial', () => {
  const cache = new ResponseCache();
  const first = cache.get('k0', () => Buffer.alloc(0));
  for (let i = 1; i <= 4096; i++) cache.get(`k${i}`, () => Buffer.alloc(0));
  const rebuilt = cache.get('k0', () => Buffer.alloc(0));
  assert.notEqual(rebuilt, first);
  assert.ok(rebuilt.serial > 4096);
});

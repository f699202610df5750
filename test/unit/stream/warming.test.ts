import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINT_REQUEST_WAIT_MS, EndpointRequestWait } from '../../../src/stream/warming';

const WARMING = (): boolean => true;
const WARM = (): boolean => false;

test('routes wait only inside the window that a CDS ACK opens, and only while a cluster lacks its endpoints request', () => {
  const w = new EndpointRequestWait();
  assert.equal(w.holdMs(0, true, WARMING), 0, 'no window before any CDS ACK');
  w.open(1_000, true);
  assert.equal(w.holdMs(1_000, true, WARMING), ENDPOINT_REQUEST_WAIT_MS);
  assert.equal(w.holdMs(1_100, true, WARM), 0, 'the client asked: nothing to wait for');
  assert.equal(w.holdMs(1_000 + ENDPOINT_REQUEST_WAIT_MS, true, WARMING), 0, 'the window has ended');
  assert.equal(w.holdMs(5_000, true, WARMING), 0, 'a later update does not wait');
  w.open(6_000, true);
  assert.equal(w.holdMs(6_010, true, WARMING), ENDPOINT_REQUEST_WAIT_MS - 10, 'each CDS ACK of a client that asks for endpoints opens a new window');
});

test('a client that lets a window pass without asking for any endpoints on the stream gets no more windows until it asks', () => {
  const w = new EndpointRequestWait();
  w.open(0, false);
  assert.ok(w.holdMs(10, false, WARMING) > 0);
  assert.equal(w.holdMs(ENDPOINT_REQUEST_WAIT_MS, false, WARMING), 0);
  w.open(1_000, false);
  assert.equal(w.holdMs(1_010, false, WARMING), 0, 'it takes endpoints elsewhere: routes go at once');
  w.open(2_000, true);
  assert.ok(w.holdMs(2_010, true, WARMING) > 0, 'once it asks for endpoints here, windows come back');
});

test('a window in which routes never had to wait does not mark the client', () => {
  const w = new EndpointRequestWait();
  w.open(0, false);
  assert.equal(w.holdMs(10, false, WARM), 0);
  w.open(1_000, false);
  assert.ok(w.holdMs(1_010, false, WARMING) > 0, 'new clusters after a CDS change that had none to warm still get a window');
});

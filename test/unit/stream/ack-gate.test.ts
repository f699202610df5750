import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AckGate } from '../../../src/stream/ack-gate';

test('idle → awaiting-ack → acked records the ACKed version', () => {
  const g = new AckGate();
  assert.equal(g.state, 'idle');
  assert.equal(g.answers('1'), false, 'nothing sent: no nonce answers');
  g.sent('1', 'v1', 'a', 2);
  assert.equal(g.state, 'awaiting-ack');
  assert.equal(g.awaitingAck, true);
  assert.equal(g.answers('1'), true);
  assert.equal(g.answers('0'), false);
  g.ack();
  assert.equal(g.state, 'acked');
  assert.equal(g.ackedVersion, 'v1');
  assert.equal(g.awaitingAck, false);
});

test('a NACK keeps the acked version and stays rejected until the next ACK, even while a new response awaits', () => {
  const g = new AckGate();
  g.sent('1', 'v1', 'a', 1);
  g.ack();
  g.sent('2', 'v2', 'b', 3);
  g.nack('bad b', 42);
  assert.equal(g.state, 'nacked');
  assert.equal(g.ackedVersion, 'v1');
  assert.deepEqual(g.lastNack, { version: 'v2', message: 'bad b', at: 42 });
  assert.equal(g.sentFirstName, 'b');
  assert.equal(g.sentCount, 3);
  g.sent('3', 'v3', 'c', 1);
  assert.equal(g.rejected, true);
  g.ack();
  assert.equal(g.rejected, false);
  assert.equal(g.ackedVersion, 'v3');
});

test('replies and resumes that do not fit the state are refused', () => {
  const g = new AckGate();
  assert.throws(() => g.ack(), /before any response/);
  assert.throws(() => g.nack('x', 0), /before any response/);
  g.resumed('v9');
  assert.equal(g.state, 'acked');
  assert.equal(g.ackedVersion, 'v9');
  assert.equal(g.sentVersion, 'v9');
  assert.throws(() => g.resumed('v9'), /resumed while acked/);
});

/**
 * @module test/unit/stream/push-order.test
 * Make-before-break across types (docs/protocol.md D26): route-side types
 * wait for cluster-side updates and warming; cluster-side removals wait for
 * busy route-side types; other types never wait.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mayPushNow } from '../../../src/stream/push-order';
import type { PendingKind } from '../../../src/stream/pending-work';
import * as T from '../../../src/xds/type-urls';

/** What ordering reads of a type's state, writable so a test can move it through its states. */
interface TypeState {
  readonly ack: { awaitingAck: boolean };
  readonly pending: { kind: PendingKind };
}
const state = (awaitingAck: boolean, kind: PendingKind): TypeState => ({ ack: { awaitingAck }, pending: { kind } });
const idle = (): TypeState => state(false, 'none');
const notWarming = (): boolean => false;

test('a listener waits while clusters have updates pending or unacknowledged, and while clusters warm', () => {
  const cds = idle();
  const lds = state(false, 'updates');
  const types = new Map([
    [T.CLUSTER, cds],
    [T.LISTENER, lds],
  ]);
  assert.equal(mayPushNow(T.LISTENER, lds, types, notWarming), true);
  cds.pending.kind = 'updates';
  assert.equal(mayPushNow(T.LISTENER, lds, types, notWarming), false);
  cds.pending.kind = 'none';
  cds.ack.awaitingAck = true;
  assert.equal(mayPushNow(T.LISTENER, lds, types, notWarming), false);
  cds.ack.awaitingAck = false;
  assert.equal(
    mayPushNow(T.LISTENER, lds, types, () => true),
    false,
    'an EDS cluster without endpoints holds the listener',
  );
});

test('cluster removals wait while any route-side type is busy; cluster updates never wait', () => {
  const cds = state(false, 'removals');
  const rds = state(true, 'none');
  const types = new Map<string, TypeState>([
    [T.CLUSTER, cds],
    [T.ROUTE, rds],
  ]);
  assert.equal(mayPushNow(T.CLUSTER, cds, types, notWarming), false);
  cds.pending.kind = 'updates';
  assert.equal(mayPushNow(T.CLUSTER, cds, types, notWarming), true);
  rds.ack.awaitingAck = false;
  cds.pending.kind = 'removals';
  assert.equal(mayPushNow(T.CLUSTER, cds, types, notWarming), true);
});

test('types outside the ordering rules (secrets, runtime) are never held', () => {
  const busy = state(true, 'updates');
  const types = new Map<string, TypeState>([
    [T.CLUSTER, busy],
    [T.LISTENER, busy],
  ]);
  assert.equal(
    mayPushNow(T.SECRET, state(false, 'removals'), types, () => true),
    true,
  );
  assert.equal(
    mayPushNow(T.RUNTIME, idle(), types, () => true),
    true,
  );
});

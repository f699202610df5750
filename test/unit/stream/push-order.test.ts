/**
 * @module test/unit/stream/push-order.test
 * Make-before-break across types (docs/protocol.md D26): route-side types
 * wait for cluster-side updates and warming; cluster-side removals wait for
 * busy route-side types; other types never wait.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { addPending, mayPushNow } from '../../../src/stream/push-order';
import type { OrderedTypeState } from '../../../src/stream/push-order';
import * as T from '../../../src/xds/type-urls';

const idle = (): OrderedTypeState => ({ awaitingAck: false, pendingKind: 'none' });
const notWarming = (): boolean => false;

test('a listener waits while clusters have updates pending or unacknowledged, and while clusters warm', () => {
  const cds = idle();
  const lds = { awaitingAck: false, pendingKind: 'updates' as const };
  const types = new Map([
    [T.CLUSTER, cds],
    [T.LISTENER, lds],
  ]);
  assert.equal(mayPushNow(T.LISTENER, lds, types, notWarming), true);
  cds.pendingKind = 'updates';
  assert.equal(mayPushNow(T.LISTENER, lds, types, notWarming), false);
  cds.pendingKind = 'none';
  cds.awaitingAck = true;
  assert.equal(mayPushNow(T.LISTENER, lds, types, notWarming), false);
  cds.awaitingAck = false;
  assert.equal(
    mayPushNow(T.LISTENER, lds, types, () => true),
    false,
    'an EDS cluster without endpoints holds the listener',
  );
});

test('cluster removals wait while any route-side type is busy; cluster updates never wait', () => {
  const cds = { awaitingAck: false, pendingKind: 'removals' as OrderedTypeState['pendingKind'] };
  const rds = { awaitingAck: true, pendingKind: 'none' as const };
  const types = new Map<string, OrderedTypeState>([
    [T.CLUSTER, cds],
    [T.ROUTE, rds],
  ]);
  assert.equal(mayPushNow(T.CLUSTER, cds, types, notWarming), false);
  cds.pendingKind = 'updates';
  assert.equal(mayPushNow(T.CLUSTER, cds, types, notWarming), true);
  rds.awaitingAck = false;
  cds.pendingKind = 'removals';
  assert.equal(mayPushNow(T.CLUSTER, cds, types, notWarming), true);
});

test('types outside the ordering rules (secrets, runtime) are never held', () => {
  const busy = { awaitingAck: true, pendingKind: 'updates' as const };
  const types = new Map<string, OrderedTypeState>([
    [T.CLUSTER, busy],
    [T.LISTENER, busy],
  ]);
  assert.equal(
    mayPushNow(T.SECRET, { awaitingAck: false, pendingKind: 'removals' }, types, () => true),
    true,
  );
  assert.equal(
    mayPushNow(T.RUNTIME, idle(), types, () => true),
    true,
  );
});

test('pending updates dominate removals', () => {
  const s = idle();
  addPending(s, 'removals');
  assert.equal(s.pendingKind, 'removals');
  addPending(s, 'updates');
  assert.equal(s.pendingKind, 'updates');
  addPending(s, 'removals');
  assert.equal(s.pendingKind, 'updates');
});

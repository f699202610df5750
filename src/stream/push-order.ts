/**
 * @module stream/push-order
 * Make-before-break across types on one ADS stream (docs/protocol.md D26,
 * xds_protocol.rst §Eventual consistency considerations): clusters and their
 * endpoints go before the listeners and routes that use them, and removals of
 * clusters and endpoints wait until routes no longer point at them.
 *
 * - Route-side types (LDS, RDS, SRDS, VHDS) are held while cluster-side types
 *   (CDS, EDS) have updates on the way or unacknowledged, or while an EDS
 *   cluster the client holds has no endpoints subscription yet (Envoy is
 *   still warming it).
 * - Cluster-side removals are held while route-side types are busy.
 * - No hold lasts longer than ROUTE_HOLD_MAX_MS, so a client that never ACKs
 *   still gets its config.
 */
import { typesOnSide } from '../xds/resource-types';
import type { PendingKind } from './pending-work';

/** Longest a response is held for ordering before it is sent anyway. */
export const ROUTE_HOLD_MAX_MS = 2_000;

const CLUSTER_SIDE = new Set<string>(typesOnSide('cluster'));
const ROUTE_SIDE = new Set<string>(typesOnSide('route'));

/** The part of per-type state ordering looks at. */
export interface OrderedTypeState {
  readonly ack: { readonly awaitingAck: boolean };
  readonly pending: { readonly kind: PendingKind };
}

/** Whether the type may be sent now, given every type's state on the stream. */
export function mayPushNow(typeUrl: string, state: OrderedTypeState, types: ReadonlyMap<string, OrderedTypeState>, clustersWarming: () => boolean): boolean {
  if (ROUTE_SIDE.has(typeUrl)) {
    for (const t of CLUSTER_SIDE) {
      const s = types.get(t);
      if (s && (s.ack.awaitingAck || s.pending.kind === 'updates')) return false;
    }
    return !clustersWarming();
  }
  if (CLUSTER_SIDE.has(typeUrl) && state.pending.kind === 'removals') {
    for (const t of ROUTE_SIDE) {
      const s = types.get(t);
      if (s && (s.ack.awaitingAck || s.pending.kind !== 'none')) return false;
    }
  }
  return true;
}

/**
 * @module stream/send-order
 * The flush loop's view of a stream's types (stream-base.ts): the types in
 * send order (CDS → EDS → LDS → RDS …, xds/resource-types), and whether any
 * of them has work. Plain functions over the stream's type map, kept out of
 * the stream skeleton because they need none of its private state; the
 * order is built only when a type is added, so a flush allocates nothing.
 */
import { compareSendOrder } from '../xds/resource-types';
import type { TypeStateBase } from './type-state';

/** `types` in send order, so a flush visits them without building and sorting an array per stream per push. */
export function sendOrderOf<S>(types: ReadonlyMap<string, S>): (readonly [string, S])[] {
  return [...types].sort((a, b) => compareSendOrder(a[0], b[0]));
}

/** Whether any type of `types` has pending work; `order` is the stream's send order, current or stale. */
export function anyPending<S extends TypeStateBase>(order: readonly (readonly [string, S])[], types: ReadonlyMap<string, S>): boolean {
  // Indexed over the send order when it is current (it is after every flush): no Map iterator per stream per push.
  if (order.length !== types.size) {
    for (const s of types.values()) if (s.pending.hasAny()) return true;
    return false;
  }
  for (let i = 0; i < order.length; i++) if ((order[i] as readonly [string, S])[1].pending.hasAny()) return true;
  return false;
}

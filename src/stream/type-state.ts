/**
 * @module stream/type-state
 * The per-type state every stream variant keeps (subscription, ACK gate,
 * pending work) and the shapes the shared stream skeleton (stream-base.ts)
 * and its helpers agree on. Kept apart from the skeleton so the helpers
 * that read per-type state (describe-state.ts, warming.ts, send-order.ts)
 * need not import the class they serve.
 */
import { AckGate } from './ack-gate';
import { PendingWork } from './pending-work';
import type { Subscription } from './subscription';

/** Per-type state every variant keeps. */
export interface TypeStateBase {
  /** Which names of the type the client wants. */
  readonly sub: Subscription;
  /** The ACK gate, and the versions and NACK it remembers for status pages. */
  readonly ack: AckGate;
  /** What the client is still owed; carries it across the flush boundary. */
  readonly pending: PendingWork;
}

/** Where a new type's subscription comes from: the server's fan-out memo, which pools name sets. */
interface SubscriptionSource {
  subscription(): Subscription;
}

/** The per-type fields every variant starts with; the subscription pools its names with this server's other streams. */
export function freshTypeState(memo: SubscriptionSource): TypeStateBase {
  return { sub: memo.subscription(), ack: new AckGate(), pending: new PendingWork() };
}

/** clustersHeld(): the client holds exactly the store's view of the type. */
export const WHOLE_VIEW = Symbol('whole view');

/** What stream state learns of a plan it wrote: the resources it carried. */
export interface SentPlan {
  readonly resources: readonly { readonly name: string }[];
}

/**
 * @module stream/describe-state
 * What status readers see of one stream, read from its per-type state: the
 * copies of describe() (snapshot.ts, for CSDS and /nodes) and the sync
 * state and NACKs of syncState() and nacks() (sync-state.ts, for rollout
 * status). Plain functions over the type map, kept out of the stream
 * skeleton (stream-base.ts) because they need none of its private state;
 * the sync state is read for every stream once a second, so it allocates
 * nothing.
 */
import type { TypeSnapshot } from './snapshot';
import type { SyncState, TypeNack } from './sync-state';
import type { TypeStateBase } from './type-state';

/** The variant's part of a type snapshot: pending work and what the client was sent, copied. */
export type DescribeWork<S> = (state: S) => Pick<TypeSnapshot, 'pending' | 'sentCurrent'>;

/** A read-only copy of every type's state (allocates, so not for hot paths). */
export function typeSnapshots<S extends TypeStateBase>(types: ReadonlyMap<string, S>, describeWork: DescribeWork<S>): TypeSnapshot[] {
  const snapshots: TypeSnapshot[] = [];
  for (const [typeUrl, s] of types) {
    const sub = s.sub;
    snapshots.push({
      typeUrl,
      wildcard: sub.wildcard,
      // A pooled set never changes; a stream's own set may, so it is copied.
      names: sub.namesFrozen ? sub.names : new Set(sub.names),
      sentVersion: s.ack.sentVersion,
      ackedVersion: s.ack.ackedVersion,
      nonce: s.ack.nonce,
      awaitingAck: s.ack.awaitingAck,
      rejected: s.ack.rejected,
      lastNack: s.ack.lastNack,
      ...describeWork(s),
    });
  }
  return snapshots;
}

/**
 * Where a started, open stream stands against what is served now
 * (./sync-state), given whether a configuration is loaded; O(types), no
 * allocation.
 */
export function syncStateOf(types: ReadonlyMap<string, TypeStateBase>, ready: boolean): SyncState {
  let state: SyncState = ready ? 'synced' : 'syncing';
  for (const s of types.values()) {
    const moving = s.ack.awaitingAck || s.pending.hasAny();
    if (s.ack.rejected && !moving) return 'nacked';
    if (moving) state = 'syncing';
  }
  return state;
}

/** The NACKs that make the sync state `nacked`, one per type. */
export function* typeNacks(types: ReadonlyMap<string, TypeStateBase>): Iterable<TypeNack> {
  for (const [typeUrl, s] of types) {
    const nack = s.ack.lastNack;
    if (!s.ack.rejected || s.ack.awaitingAck || s.pending.hasAny() || !nack) continue;
    yield { typeUrl, version: nack.version, message: nack.message, at: nack.at, firstResource: s.ack.sentFirstName, resourceCount: s.ack.sentCount };
  }
}

/**
 * @module status/node-census
 * Counts a replica's nodes for its published status: connected, in sync
 * with what it serves, NACKed, and the NACKs themselves (bounded). One pass
 * over the streams, O(types) each and no allocation for a node in sync, so
 * ten thousand streams cost little once a second.
 */
import { clientString } from '../observe/client-string';
import type { SyncState, TypeNack } from '../stream';
import { MAX_NACK_ENTRIES, MAX_SYNCING_LISTED, NACK_DETAIL_MAX_CHARS } from './replica-status';
import type { NackEntry, NodeCensus } from './replica-status';

/** What the census reads of a stream (stream/stream-base implements it). */
export interface NodeSyncView {
  readonly node: { readonly id: string } | undefined;
  readonly variant: string;
  syncState(): SyncState;
  nacks(): Iterable<TypeNack>;
}

/** Count `streams`; at most `maxNacks` NACK entries are kept. */
export function takeCensus(streams: Iterable<NodeSyncView>, maxNacks: number = MAX_NACK_ENTRIES): NodeCensus {
  let connected = 0;
  let inSync = 0;
  let nacked = 0;
  let nacksOmitted = 0;
  const nacks: NackEntry[] = [];
  const syncing: string[] = [];
  for (const s of streams) {
    const node = s.node;
    if (!node) continue;
    connected++;
    const state = s.syncState();
    if (state === 'synced') inSync++;
    else if (state === 'syncing') {
      if (syncing.length < MAX_SYNCING_LISTED) syncing.push(clientString(node.id));
    } else if (state === 'nacked') {
      nacked++;
      for (const n of s.nacks()) {
        if (nacks.length >= maxNacks) {
          nacksOmitted++;
          continue;
        }
        nacks.push({
          node: clientString(node.id),
          variant: s.variant,
          type: n.typeUrl,
          resource: n.firstResource,
          resources: n.resourceCount,
          version: clientString(n.version),
          error: clientString(n.message, NACK_DETAIL_MAX_CHARS),
          at: new Date(n.at).toISOString(),
        });
      }
    }
  }
  return { connected, inSync, nacked, syncing, nacks, nacksOmitted };
}

/**
 * @module stream/sync-state
 * Where one stream stands against what the server serves now, for rollout
 * status (`fanout-xds status`, `apply --wait`): read-only, computed from the
 * per-type state in O(types) without allocating, so a replica can count ten
 * thousand streams once a second.
 */

/**
 * `synced`: every subscribed type is ACKed at what is served now (nothing
 * pending, nothing awaiting a reply). `nacked`: some type's latest reply
 * was a NACK and nothing newer is on its way, so the node keeps a rejected
 * configuration. `syncing`: anything else (a response out or due, the node
 * not yet known, no configuration loaded yet).
 */
export type SyncState = 'synced' | 'syncing' | 'nacked';

/** What a node rejected: the latest NACK of one type that nothing newer has replaced yet. */
export interface TypeNack {
  readonly typeUrl: string;
  /** Version info of the rejected response. */
  readonly version: string;
  /** The client's error detail, already escaped and cut (observe/client-string). */
  readonly message: string;
  /** When the NACK arrived (ms since the epoch). */
  readonly at: number;
  /** The first resource the rejected response carried ('' for a response that carried none), and how many it carried. */
  readonly firstResource: string;
  readonly resourceCount: number;
}

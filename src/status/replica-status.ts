/**
 * @module status/replica-status
 * The value a replica publishes under `<prefix>status/replicas/<replica>`
 * (JSON), shared by the publisher and the readers (`fanout-xds status`,
 * `apply --wait`), with the bounds that keep it small whatever clients send.
 * A reader checks every field: the key is in etcd, where anyone with write
 * access could have put anything.
 */

/** NACK entries kept in one replica's status; `nacked` still counts them all. */
export const MAX_NACK_ENTRIES = 100;
/** Node ids listed among those not yet in sync (NACKed ones are listed with their NACKs). */
export const MAX_SYNCING_LISTED = 20;
/** Characters of a node's error detail kept per entry (client text, escaped and cut). */
export const NACK_DETAIL_MAX_CHARS = 512;

/** One node whose configuration of one type is rejected. */
export interface NackEntry {
  /** Node id (client text, escaped and cut). */
  readonly node: string;
  readonly variant: string;
  /** Resource type URL. */
  readonly type: string;
  /** First resource of the rejected response ('' if it carried none) and how many it carried. */
  readonly resource: string;
  readonly resources: number;
  /** Version info of the rejected response. */
  readonly version: string;
  /** The node's error detail. */
  readonly error: string;
  /** When the NACK arrived (ISO 8601). */
  readonly at: string;
}

/** Node counts of one replica. */
export interface NodeCensus {
  /** Streams whose node is known (an ADS stream is one node; per-type streams count one each). */
  readonly connected: number;
  /** Of those, the ones holding everything served now, ACKed. */
  readonly inSync: number;
  /** Of those, the ones whose latest reply for some type is a NACK. */
  readonly nacked: number;
  /** Ids of up to MAX_SYNCING_LISTED nodes neither in sync nor NACKed (a response out or due). */
  readonly syncing: readonly string[];
  /** Up to MAX_NACK_ENTRIES of them, one entry per rejected type. */
  readonly nacks: readonly NackEntry[];
  /** NACK entries left out by the cap. */
  readonly nacksOmitted: number;
}

/** What one replica publishes. */
export interface ReplicaStatus extends NodeCensus {
  /** Replica name (the key's last segment): host:pid unless --replica-name says otherwise. */
  readonly replica: string;
  readonly host: string;
  readonly pid: number;
  /** The etcd revision whose configuration the replica serves (0: none loaded yet). */
  readonly revision: number;
  /** The latest revision it rejected as invalid, while no later one has been accepted. */
  readonly rejectedRevision?: number;
  /** When this value was written (ISO 8601). */
  readonly updatedAt: string;
}

/** Parse a published value; a problem message when it is not a replica status. */
export function parseReplicaStatus(text: string): { ok: true; value: ReplicaStatus } | { ok: false; problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `not JSON: ${(err as Error).message}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, problem: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  for (const f of ['replica', 'host', 'updatedAt'] as const) if (typeof o[f] !== 'string') return { ok: false, problem: `field "${f}" must be a string` };
  for (const f of ['pid', 'revision', 'connected', 'inSync', 'nacked', 'nacksOmitted'] as const) {
    if (!Number.isSafeInteger(o[f]) || (o[f] as number) < 0) return { ok: false, problem: `field "${f}" must be a non-negative integer` };
  }
  if (o['rejectedRevision'] !== undefined && !Number.isSafeInteger(o['rejectedRevision'])) return { ok: false, problem: 'field "rejectedRevision" must be an integer' };
  if (!Array.isArray(o['syncing']) || !(o['syncing'] as unknown[]).every((n) => typeof n === 'string')) return { ok: false, problem: 'field "syncing" must be a list of strings' };
  if (!Array.isArray(o['nacks'])) return { ok: false, problem: 'field "nacks" must be a list' };
  for (const [i, n] of (o['nacks'] as unknown[]).entries()) {
    const e = n as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null) return { ok: false, problem: `nacks[${i}] must be an object` };
    for (const f of ['node', 'variant', 'type', 'resource', 'version', 'error', 'at']) if (typeof e[f] !== 'string') return { ok: false, problem: `nacks[${i}].${f} must be a string` };
    if (!Number.isSafeInteger(e['resources'])) return { ok: false, problem: `nacks[${i}].resources must be an integer` };
  }
  return { ok: true, value: o as unknown as ReplicaStatus };
}

/**
 * @module status/rollout
 * Whether a configuration revision has reached every node of every live
 * replica (`apply --wait`): a pure verdict on the published statuses.
 * - done: at least one replica, and every replica serves the revision (or a
 *   later one) with every connected node in sync;
 * - failed: a replica rejected the revision as invalid, or a replica serving
 *   it has a node whose latest reply is a NACK;
 * - waiting: anything else (with what is still behind).
 */
import type { NackEntry, ReplicaStatus } from './replica-status';

/** A replica still behind. */
export interface LaggingReplica {
  readonly replica: string;
  readonly revision: number;
  readonly connected: number;
  readonly inSync: number;
  /** Some node ids not yet in sync (bounded by the replica). */
  readonly syncing: readonly string[];
}

/** The verdict on one revision. */
export type RolloutVerdict =
  | { readonly kind: 'done'; readonly replicas: number; readonly nodes: number }
  | {
      readonly kind: 'failed';
      readonly nacks: readonly { readonly replica: string; readonly nack: NackEntry }[];
      /** NACKing nodes past the entries the replicas list. */
      readonly nacksOmitted: number;
      readonly rejected: readonly { readonly replica: string; readonly revision: number }[];
    }
  | { readonly kind: 'waiting'; readonly lagging: readonly LaggingReplica[]; readonly replicas: number };

/** The verdict on `target` given the live replicas' statuses. */
export function rolloutVerdict(replicas: readonly ReplicaStatus[], target: number): RolloutVerdict {
  const rejected = replicas.filter((r) => r.rejectedRevision !== undefined && r.rejectedRevision >= target).map((r) => ({ replica: r.replica, revision: r.rejectedRevision as number }));
  const serving = replicas.filter((r) => r.revision >= target && r.rejectedRevision === undefined);
  const nacks = serving.flatMap((r) => r.nacks.map((nack) => ({ replica: r.replica, nack })));
  const nacksOmitted = serving.reduce((n, r) => n + r.nacksOmitted + (r.nacked > 0 && r.nacks.length === 0 ? r.nacked : 0), 0);
  if (rejected.length > 0 || nacks.length > 0 || nacksOmitted > 0) return { kind: 'failed', nacks, nacksOmitted, rejected };
  const lagging = replicas
    .filter((r) => r.revision < target || r.inSync !== r.connected)
    .map((r) => ({ replica: r.replica, revision: r.revision, connected: r.connected, inSync: r.inSync, syncing: r.syncing }));
  if (replicas.length > 0 && lagging.length === 0) return { kind: 'done', replicas: replicas.length, nodes: replicas.reduce((n, r) => n + r.connected, 0) };
  return { kind: 'waiting', lagging, replicas: replicas.length };
}

/** One line per NACK: replica, node, type, resource, error. */
export function describeNack(replica: string, n: NackEntry): string {
  const resource = n.resource === '' ? '(no resources in the response)' : n.resources > 1 ? `${n.resource} (and ${n.resources - 1} more in the response)` : n.resource;
  return `replica ${replica}: node ${n.node} (${n.variant}) NACKed ${n.type} ${resource}, version ${n.version}: ${n.error}`;
}

/** Why a replica is behind `target`, in one line. */
export function describeLagging(r: LaggingReplica, target: number): string {
  if (r.revision < target) return `replica ${r.replica}: serves revision ${r.revision}, not yet ${target}`;
  const ids = r.syncing.length > 0 ? `: ${r.syncing.join(', ')}${r.connected - r.inSync > r.syncing.length ? ', …' : ''}` : '';
  return `replica ${r.replica}: ${r.connected - r.inSync} of ${r.connected} nodes not in sync${ids}`;
}

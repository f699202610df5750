/**
 * @module loadgen/messages
 * What the fleet's main thread and its worker threads tell each other, and
 * the wire counters every worker keeps. Plain data only (structured clone).
 */

import type { TlsOptions } from './tls';

/** Protocol variant spoken by the simulated nodes. */
export type Variant = 'sotw' | 'delta';

/** Everything a worker needs to run its share of the fleet. */
export interface FleetOptions {
  /**
   * `host:port` of the xDS server, or several comma-separated (replicas):
   * node i starts on the (i mod n)-th and moves to the next when a stream ends.
   */
  readonly target: string;
  readonly nodes: number;
  readonly variant: Variant;
  /** true: one ADS stream per node; false: one stream per type (CDS, EDS, LDS, RDS services). */
  readonly ads: boolean;
  readonly nodeIdPrefix: string;
  readonly cluster: string;
  /** Fraction of responses to NACK, 0..1. */
  readonly nackRate: number;
  /** New connections per second across the whole fleet. */
  readonly connectRate: number;
  /** Fraction of nodes that stop reading once they first reach full config (slow consumers), 0..1. */
  readonly slowFraction: number;
  /** Envoy's initial_fetch_timeout: LDS starts after cluster warm-up or this long, in ms. */
  readonly initialFetchTimeoutMs: number;
  /** Worker threads over all processes; 0 = one per core. */
  readonly workers: number;
  /**
   * OS processes the nodes are spread over (each is bound by the per-process
   * open-file limit): 1 = this process's worker threads; N > 1 = N child
   * processes, node i in process i mod N.
   */
  readonly processes: number;
  /** TLS or mTLS toward the server; absent = plaintext. */
  readonly tls?: TlsOptions;
}

/** The addresses in a {@link FleetOptions.target} (one, or several comma-separated). */
export function splitTargets(target: string): string[] {
  return target
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** Counters for one direction of one type (or all types). */
export interface WireCount {
  bytes: number;
  messages: number;
}

/** Counters a worker keeps. Bytes include gRPC's 5-byte message prefix. */
export interface WorkerCounters {
  /** Received, by short type name (cds, eds, lds, rds, other). */
  rx: Record<string, WireCount>;
  /** Sent, by short type name. */
  tx: Record<string, WireCount>;
  acks: number;
  nacks: number;
  /** Streams opened, including the first. */
  streamsOpened: number;
  /** Streams that ended with a status (error or not). */
  streamsEnded: number;
  /** Response decodes that missed the shared transition cache. */
  decodes: number;
  /** Responses that could not be parsed at all. */
  malformed: number;
  /** Last stream error text seen, for diagnostics. */
  lastError: string;
  /** Why streams ended: "<grpc status name> <details>" → count (at most {@link MAX_END_REASONS} distinct). */
  endReasons: Record<string, number>;
}

/** Distinct stream-end reasons kept per worker. */
export const MAX_END_REASONS = 16;

/** Count one stream end under its reason. */
export function countEndReason(counters: WorkerCounters, reason: string): void {
  counters.lastError = reason;
  // Drop timestamps and the resolver's note so equal causes count together.
  const clean = reason
    .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/g, '')
    .replace(/\.?\s*Resolution note:.*$/s, '')
    .trim();
  const key = clean.length > 160 ? clean.slice(0, 160) + '…' : clean;
  if (key in counters.endReasons || Object.keys(counters.endReasons).length < MAX_END_REASONS) {
    counters.endReasons[key] = (counters.endReasons[key] ?? 0) + 1;
  } else {
    counters.endReasons['(other)'] = (counters.endReasons['(other)'] ?? 0) + 1;
  }
}

/** main → worker */
export type ToWorker = { readonly kind: 'init'; readonly options: FleetOptions; readonly workerIndex: number; readonly workerCount: number } | { readonly kind: 'stop' };

/** fleet → loadgen child process (loadgen/fleet-process). */
export type ToFleetProcess = { readonly kind: 'init'; readonly options: FleetOptions; readonly workerIndices: readonly number[]; readonly workerCount: number } | { readonly kind: 'stop' };

/** loadgen child process → fleet: its workers' reports as they come, then `stopped` once their final reports are sent. */
export type FromFleetProcess = WorkerProgress | { readonly kind: 'stopped' };

/** Node counts a worker reports. */
export interface WorkerNodeCounts {
  /** Nodes whose connection was started. */
  started: number;
  /** Nodes with every stream open. */
  connected: number;
  /** Connected nodes that hold a full config (CDS, all EDS, LDS, all RDS); a disconnected node is not in sync. */
  inSync: number;
  /** Nodes that reached full config at least once. */
  everSynced: number;
  /** Nodes currently paused as slow consumers. */
  slow: number;
  /** Nodes that moved to another target (replica) after a stream ended, at least once. */
  moved: number;
}

/** worker → main: sent every progress interval and once more when stopped. */
export interface WorkerProgress {
  readonly kind: 'progress';
  readonly workerIndex: number;
  readonly final: boolean;
  readonly nodes: WorkerNodeCounts;
  readonly counters: WorkerCounters;
  /** New first receipts: flat [round, stampMicros, nodeIndex, atMicros, nacked(0|1)] × n. */
  readonly receipts: number[];
  /** Nodes that reached full config for the first time: flat [nodeIndex, startedAtMicros, syncedAtMicros] × n. */
  readonly syncs: number[];
  /** New resource versions received by nodes that held a full config: key → receipt times, epoch µs. */
  readonly versions: Record<string, number[]>;
  /** Receipts left out of `versions` because a report held too many distinct versions. */
  readonly versionsDropped: number;
}

/** Short name used for counters and tables. */
export function shortTypeName(typeUrl: string): string {
  if (typeUrl.endsWith('.Cluster')) return 'cds';
  if (typeUrl.endsWith('.ClusterLoadAssignment')) return 'eds';
  if (typeUrl.endsWith('.Listener')) return 'lds';
  if (typeUrl.endsWith('.RouteConfiguration')) return 'rds';
  return 'other';
}

/** Fresh zeroed counters. */
export function emptyCounters(): WorkerCounters {
  const dir = (): Record<string, WireCount> => ({
    cds: { bytes: 0, messages: 0 },
    eds: { bytes: 0, messages: 0 },
    lds: { bytes: 0, messages: 0 },
    rds: { bytes: 0, messages: 0 },
    other: { bytes: 0, messages: 0 },
  });
  return { rx: dir(), tx: dir(), acks: 0, nacks: 0, streamsOpened: 0, streamsEnded: 0, decodes: 0, malformed: 0, lastError: '', endReasons: {} };
}

/** Sum of `counters` (for adding up workers). */
export function addCounters(into: WorkerCounters, from: WorkerCounters): WorkerCounters {
  for (const dir of ['rx', 'tx'] as const) {
    for (const [type, c] of Object.entries(from[dir])) {
      const t = (into[dir][type] ??= { bytes: 0, messages: 0 });
      t.bytes += c.bytes;
      t.messages += c.messages;
    }
  }
  into.acks += from.acks;
  into.nacks += from.nacks;
  into.streamsOpened += from.streamsOpened;
  into.streamsEnded += from.streamsEnded;
  into.decodes += from.decodes;
  into.malformed += from.malformed;
  if (from.lastError) into.lastError = from.lastError;
  for (const [reason, n] of Object.entries(from.endReasons)) into.endReasons[reason] = (into.endReasons[reason] ?? 0) + n;
  return into;
}

/** Total over types of one direction. */
export function totalOf(dir: Record<string, WireCount>): WireCount {
  let bytes = 0;
  let messages = 0;
  for (const c of Object.values(dir)) {
    bytes += c.bytes;
    messages += c.messages;
  }
  return { bytes, messages };
}

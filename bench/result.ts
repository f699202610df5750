/**
 * @module bench/result
 * The shape of a benchmark result: what `bench/results/*.json` holds and
 * what the table, the HTML report and the thresholds read.
 */
import type { ConvergenceSummary, Distribution, LatencySummary, Variant, WireCount } from '../loadgen/index';
import type { Timeline } from './timeline';
import type { SourceKind } from './config-sink';
import type { Churn, MeshSpec, Scenario } from './scenarios';

/** Where a round's commit time came from. */
export type CommitSource = 'server-log' | 'file-write' | 'stamp' | 'etcd-commit';

/** One update round of one variant. */
export interface RoundResult {
  readonly round: number;
  readonly change: string;
  readonly commitSource: CommitSource;
  /** Epoch ms of the commit. */
  readonly commitAtMs: number;
  /** Server apply time minus file write time (debounce, parse, encode), ms; NaN if unknown. */
  readonly applyDelayMs: number;
  /** Latency from commit to receipt at each node, ms. */
  readonly latency: LatencySummary;
  /** Commit → the last node's receipt, ms (NaN if no node received it). */
  readonly convergenceMs: number;
  /** Nodes expected to receive it (in sync before the round, not slow consumers). */
  readonly expected: number;
  readonly received: number;
  readonly nacked: number;
  /** Expected nodes with no receipt when the round timed out. */
  readonly timedOut: number;
  /** Bytes received per expected node during the round (null when rounds overlap). */
  readonly rxBytesPerNode: number | null;
  readonly rxMessagesPerNode: number | null;
  /** ACK/request bytes sent per expected node during the round. */
  readonly txBytesPerNode: number | null;
  /** Server CPU seconds spent during the round (null when rounds overlap or unknown). */
  readonly serverCpuSeconds: number | null;
  /** Loadgen (this process, all threads) CPU seconds during the round: it shares the machine. */
  readonly loadgenCpuSeconds: number | null;
}

/** The initial connection and full-config phase. */
export interface InitialSyncResult {
  /** Per node: connect start → first full config (CDS, all EDS, LDS, all RDS), ms. */
  readonly firstFullConfig: LatencySummary;
  /** First connect start → the last node's full config, ms (NaN if some never synced). */
  readonly allInSyncMs: number;
  /** The last connect start → the last node's full config, ms. */
  readonly afterLastConnectMs: number;
  readonly synced: number;
  /** Nodes with no full config when the sync timeout hit. */
  readonly failed: number;
  readonly rxBytesPerNode: number;
  readonly rxMessagesPerNode: number;
  readonly txBytesPerNode: number;
  readonly serverCpuSeconds: number;
}

/** `--scenario restart`: the server is killed after the rounds and restarted on the same config. */
export interface RestartResult {
  /** Nodes connected when the server was killed: the divisor of the per-node figures. */
  readonly nodes: number;
  /** Streams the restarted server saw opened (from its log; NaN below log level info). */
  readonly streamsReopened: number;
  /** Kill → the restarted server accepting connections with its config loaded, ms. */
  readonly downMs: number;
  /** Restarted server ready → every stream open again, ms (NaN if they were not all back in time). */
  readonly reconnectMs: number;
  /** Received per node from the kill until the fleet was quiet again, by type and in total. */
  readonly rxBytesPerNode: number;
  readonly rxMessagesPerNode: number;
  readonly rxBytesPerNodeByType: Readonly<Record<string, number>>;
  /** Requests written per node while reconnecting, attempts that failed included (SotW repeats every name it wants). */
  readonly txBytesPerNode: number;
  /** Restarted server CPU from ready to quiet: serving the reconnects. */
  readonly serverCpuSeconds: number;
  /** Nodes holding a full config once quiet again. */
  readonly inSyncAfter: number;
}

/** `--scenario failover`: one of several replicas is killed after the rounds; its nodes move to the others. */
export interface FailoverResult {
  readonly replicas: number;
  /** host:port of the replica killed (SIGKILL). */
  readonly killed: string;
  /** Nodes that were on it: the divisor of the per-moved-node figures. */
  readonly movedNodes: number;
  /** Nodes the fleet saw move to another replica (should equal movedNodes). */
  readonly movedSeen: number;
  /** Streams that had to reopen on the surviving replicas. */
  readonly streamsMoved: number;
  /** Kill → every stream of the fleet open on the surviving replicas (their logs), ms; NaN if not all came back in time. */
  readonly backInSyncMs: number;
  /** Received per moved node from the kill until quiet again (nothing changed meanwhile), by type and in total. */
  readonly rxBytesPerMovedNode: number;
  readonly rxMessagesPerMovedNode: number;
  readonly rxBytesPerMovedNodeByType: Readonly<Record<string, number>>;
  /** Requests written per moved node while reconnecting (SotW repeats every name it wants). */
  readonly txBytesPerMovedNode: number;
  /** Surviving replicas' CPU from the kill until quiet: serving the moved nodes. */
  readonly serverCpuSeconds: number;
  /** Nodes holding a full config once quiet again. */
  readonly inSyncAfter: number;
  /** A change committed after the move: every node, moved ones included, must receive it from its new replica. */
  readonly probe: { readonly expected: number; readonly received: number; readonly convergenceMs: number; readonly p99Ms: number };
}

/** Server process figures (NaN where not measurable, e.g. an external target). */
export interface ServerCost {
  readonly idleRssBytes: number;
  /** Highest RSS sampled while nodes were connected (whole run: config reloads of the rounds included). */
  readonly peakRssBytes: number;
  /** Highest RSS sampled from the first connect to the end of the initial sync. */
  readonly syncPeakRssBytes: number;
  /** (sync peak - idle) / nodes in sync: connection and per-node state cost. */
  readonly rssPerNodeAtSyncBytes: number;
  /** The kernel's peak (VmHWM) over the process life, config load included. */
  readonly vmHwmBytes: number;
  /** (whole-run peak - idle) / nodes in sync. */
  readonly rssPerNodeBytes: number;
  /**
   * RSS with the fleet connected and quiet: one sample after the initial sync
   * and `--settle-ms`, before the rounds (absent in results saved before it existed).
   */
  readonly connectedRssBytes?: number;
  /** (connected - idle) / nodes in sync: what each connected node costs at rest, retained sync memory included. */
  readonly rssPerNodeConnectedBytes?: number;
  readonly cpuSecondsTotal: number;
}

/** One protocol variant's run. */
export interface VariantResult {
  readonly variant: Variant;
  readonly ok: boolean;
  readonly error?: string;
  readonly initialSync: InitialSyncResult;
  readonly rounds: RoundResult[];
  /** Commit → receipt over every round, ms. */
  readonly latency: LatencySummary;
  readonly latencyDistribution: Distribution;
  readonly convergenceMs: { readonly median: number; readonly max: number };
  /** Mean over rounds. */
  readonly rxBytesPerNodePerUpdate: number;
  readonly rxMessagesPerNodePerUpdate: number;
  readonly txBytesPerNodePerUpdate: number;
  /** Mean server CPU seconds per round. */
  readonly serverCpuSecondsPerRound: number;
  /** With `--scenario restart`: what the nodes were sent when they reconnected to the restarted server. */
  readonly restart?: RestartResult;
  /** With `--scenario failover`: what the nodes of the killed replica were sent by the others. */
  readonly failover?: FailoverResult;
  readonly totals: {
    readonly rx: Record<string, WireCount>;
    readonly tx: Record<string, WireCount>;
    readonly acks: number;
    readonly nacks: number;
    readonly streamsOpened: number;
    readonly streamsEnded: number;
    readonly decodes: number;
    readonly streamEndReasons: Record<string, number>;
  };
  readonly server: ServerCost;
  /**
   * Our server's counters of connections and streams it closed or refused on
   * its own, by reason (`xds_connections_closed_total{reason="never_used"}` → n),
   * summed over replicas and read at the end of the run; absent for the floor
   * and in older results.
   */
  readonly serverCounters?: Readonly<Record<string, number>>;
  /** Files in `--out` holding each server child's log (absent in older results). */
  readonly serverLogs?: readonly string[];
  readonly loadgen: {
    readonly peakRssBytes: number;
    readonly cpuSeconds: number;
    readonly workers: number;
    /** Per loadgen OS process (`--loadgen-processes`): nodes it ran, how many reached a full config, its peak RSS (absent in older results). */
    readonly processes?: readonly { readonly nodes: number; readonly everSynced: number; readonly peakRssBytes: number }[];
  };
  readonly durationMs: number;
  /** The whole run sampled over time (absent in results saved before it existed). */
  readonly timeline?: Timeline;
  /** Every new resource version the synced nodes received, stamped or not: first node → last node. */
  readonly versionConvergence?: ConvergenceSummary;
}

/** The setup line's facts. */
export interface BenchSetup {
  readonly startedAt: string;
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly node: string;
  readonly platform: string;
  readonly versions: Record<string, string>;
  readonly nodes: number;
  readonly mesh: MeshSpec & { readonly resources: number; readonly configBytes: number };
  readonly scenario: Scenario;
  /** Where the servers read the mesh: a config file, or a real etcd written with the project's apply (absent in results saved before etcd runs existed: a file). */
  readonly source?: SourceKind;
  /** Server processes on the same source; the nodes are spread over them round robin (absent in older results: 1). */
  readonly replicas?: number;
  readonly churn: Churn;
  readonly rounds: number;
  /** Changes per second; 0 = one round at a time, each after the previous converged. */
  readonly rate: number;
  readonly connectRate: number;
  readonly ads: boolean;
  readonly nackRate: number;
  readonly slowFraction: number;
  /** 'ours' (child process) or the external host:port. */
  readonly server: string;
  /** With `--with-floor`: what the floor server is (see bench/floor/). */
  readonly floor?: string;
  readonly commitTime: string;
  /** Where and how it ran (absent in results saved before these existed). */
  readonly gitCommit?: string;
  readonly commandLine?: string;
  readonly hostname?: string;
  /** 1-minute load average when the run started: other work on the machine skews the figures. */
  readonly loadAverage?: number;
}

/** Our figure divided by the floor's, per threshold metric name (bench/thresholds.ts METRICS); NaN where either is unmeasured. */
export type FloorRatios = Readonly<Record<string, number>>;

/** A growth figure by name (bench/growth.ts GROWTH_METRICS), with its unit in the name. */
export type GrowthFigures = Readonly<Record<string, number>>;

/** One fleet size and variant of a sweep: ours, and with `--with-floor` the floor's and ours / floor. */
export interface GrowthPoint {
  readonly nodes: number;
  readonly variant: Variant;
  readonly ours: GrowthFigures;
  readonly floor?: GrowthFigures;
  readonly oursPerFloor?: GrowthFigures;
}

/** `--nodes N1,N2,...`: the whole bench once per fleet size, and how the figures grow. */
export interface SweepResult {
  /** The sizes in the order they ran (ascending). */
  readonly fleetSizes: readonly number[];
  /** The growth table's figures (NaN, saved as null, where not measured). */
  readonly growth: readonly GrowthPoint[];
  /** One complete result per size, each with its own setup, fresh servers and thresholds. */
  readonly runs: readonly BenchResult[];
}

/** A whole bench run. */
export interface BenchResult {
  readonly setup: BenchSetup;
  readonly variants: Partial<Record<Variant, VariantResult>>;
  /** With `--with-floor`: the floor server on the identical scenario, per variant. */
  readonly floor?: Partial<Record<Variant, VariantResult>>;
  /** With `--with-floor`: ours / floor for every named metric, per variant. */
  readonly ratiosToFloor?: Partial<Record<Variant, FloorRatios>>;
  readonly thresholds: { readonly expression: string; readonly actual: number; readonly pass: boolean }[];
}

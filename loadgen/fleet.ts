/**
 * @module loadgen/fleet
 * The main-thread side of the load generator: spreads the simulated nodes
 * over worker threads (one per core by default), optionally in several
 * child processes (each OS process is bound by the open-file limit, one
 * descriptor per node), and gathers what every worker reports into one
 * picture: node counts, wire counters, and per round the time each node
 * first received that round's stamp. A child process relays its threads'
 * reports unchanged, so one merge serves both layouts.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { fork } from 'node:child_process';
import { ConvergenceTracker } from './convergence';
import { addCounters, emptyCounters } from './messages';
import type { FleetOptions, FromFleetProcess, ToFleetProcess, WorkerCounters, WorkerNodeCounts, WorkerProgress } from './messages';
import { STOP_TIMEOUT_MS, ThreadGroup } from './thread-group';

/** Receipts of one round's stamp across the fleet. */
export interface RoundReceipts {
  readonly round: number;
  /** The stamp's own time (the writer's commit time), epoch µs. */
  readonly stampMicros: number;
  /** Per node: epoch µs of first accepted receipt, NaN if none. */
  readonly at: Float64Array;
  /** Per node: 1 if the node NACKed the response that carried the stamp. */
  readonly nacked: Uint8Array;
  received: number;
  nackedCount: number;
}

/** One OS process's share of the fleet (as of its workers' last reports). */
export interface ProcessShare {
  readonly pid: number;
  /** Nodes this process runs. */
  readonly nodes: number;
  readonly started: number;
  readonly connected: number;
  readonly everSynced: number;
}

/** A point-in-time view of the fleet. */
export interface FleetSnapshot {
  readonly nodes: WorkerNodeCounts;
  readonly counters: WorkerCounters;
  /** Worker threads over all processes. */
  readonly workers: number;
  /** Per OS process: one entry (this process) unless the fleet runs child processes. */
  readonly processes: readonly ProcessShare[];
}

/** Defaults for {@link FleetOptions} fields a caller may omit. */
export const FLEET_DEFAULTS: Omit<FleetOptions, 'target' | 'nodes' | 'variant'> = {
  ads: true,
  nodeIdPrefix: 'node-',
  cluster: 'loadgen',
  nackRate: 0,
  connectRate: 1000,
  slowFraction: 0,
  initialFetchTimeoutMs: 15_000,
  workers: 0,
  processes: 1,
};

/** Extra wait for a child process to leave after its threads' stop timeout, in ms. */
const CHILD_EXIT_GRACE_MS = 2_000;

/** The worker threads of one OS process, as the fleet drives them. */
interface Host {
  readonly pid: number;
  /** Global indices of the workers it runs. */
  readonly workerIndices: readonly number[];
  /** Close every node; resolves once the final reports are in and, for a child process, it has exited (or the host is gone). */
  stop(): Promise<void>;
}

/** This process's own threads. */
function threadHost(options: FleetOptions, workerIndices: number[], workerCount: number, onReport: (m: WorkerProgress) => void): Host {
  const group = new ThreadGroup(options, workerIndices, workerCount, onReport);
  return { pid: process.pid, workerIndices, stop: () => group.stop() };
}

/** A child process running its threads (loadgen/fleet-process), reports relayed over IPC. */
function childHost(options: FleetOptions, workerIndices: number[], workerCount: number, onReport: (m: WorkerProgress) => void): Host {
  // 'advanced' = structured clone, as worker threads use: the reports cross unchanged, no JSON round trip.
  const child = fork(path.join(__dirname, 'fleet-process.js'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let stopping = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (m: FromFleetProcess) => {
    if (m.kind === 'progress') onReport(m);
    else resolveDone();
  });
  child.on('error', (err) => process.stderr.write(`loadgen process ${child.pid} failed: ${err.message}\n`));
  child.on('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`loadgen process ${child.pid} (workers ${workerIndices.join(',')}) exited early: ${signal ?? `code ${code}`}\n`);
    resolveDone();
  });
  const init: ToFleetProcess = { kind: 'init', options, workerIndices, workerCount };
  child.send(init);
  return {
    pid: child.pid ?? NaN,
    workerIndices,
    stop: async () => {
      stopping = true;
      if (child.connected) child.send({ kind: 'stop' } satisfies ToFleetProcess);
      let timer: NodeJS.Timeout | undefined;
      // The final reports, then the exit: `stopped` comes just before the child disconnects and leaves, and a caller
      // that checked for the process right after stop() resolved could still find it.
      await Promise.race([done.then(() => exited), new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS + CHILD_EXIT_GRACE_MS)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (child.pid !== undefined) await exited; // a fork that failed never started, so never exits
    },
  };
}

/**
 * Nodes one loadgen process holds at most with `processes: auto`: one
 * descriptor per node, kept well under a 20,000 per-process open-file
 * limit for the process's own files, pipes and reconnect overlap.
 */
export const AUTO_NODES_PER_PROCESS = 15_000;

/** Processes for `nodes` with `auto`: enough that each holds at most {@link AUTO_NODES_PER_PROCESS}. */
export function autoProcesses(nodes: number): number {
  return Math.max(1, Math.ceil(nodes / AUTO_NODES_PER_PROCESS));
}

/**
 * How the fleet's workers are laid out: `processes` (at most one per node)
 * and a worker count that is a multiple of it, so worker w lives in process
 * w mod processes and process p runs exactly the nodes i with i mod
 * processes = p.
 */
export function fleetLayout(options: Pick<FleetOptions, 'nodes' | 'workers' | 'processes'>): { processes: number; workerCount: number } {
  const processes = Math.max(1, Math.min(options.nodes, Math.floor(options.processes) || 1));
  const threads = Math.max(1, Math.min(options.nodes, options.workers || os.availableParallelism()));
  return { processes, workerCount: processes * Math.ceil(threads / processes) };
}

/** A running fleet of simulated Envoys. */
export class Fleet {
  readonly options: FleetOptions;
  /** Per node: epoch µs when it started connecting (NaN until then is reported as 0). */
  readonly startedAt: Float64Array;
  /** Per node: epoch µs of its first full config, NaN if never. */
  readonly syncedAt: Float64Array;
  /** Convergence of every new resource version, stamped or not. */
  readonly convergence = new ConvergenceTracker();
  readonly #hosts: Host[] = [];
  readonly #workerCount: number;
  readonly #latest: (WorkerProgress | undefined)[];
  readonly #rounds = new Map<number, RoundReceipts>();
  readonly #listeners = new Set<() => void>();
  #stopped: Promise<void> | undefined;

  private constructor(options: FleetOptions) {
    this.options = options;
    this.startedAt = new Float64Array(options.nodes);
    this.syncedAt = new Float64Array(options.nodes).fill(NaN);
    const { processes, workerCount } = fleetLayout(options);
    this.#workerCount = workerCount;
    this.#latest = new Array<WorkerProgress | undefined>(workerCount).fill(undefined);
    const onReport = (m: WorkerProgress): void => this.#onProgress(m);
    for (let p = 0; p < processes; p++) {
      const indices: number[] = [];
      for (let w = p; w < workerCount; w += processes) indices.push(w);
      this.#hosts.push(processes === 1 ? threadHost(options, indices, workerCount, onReport) : childHost(options, indices, workerCount, onReport));
    }
  }

  /** The fleet's child processes (none when it runs in this process), for measuring their CPU and memory. */
  get childPids(): number[] {
    return this.#hosts.filter((h) => h.pid !== process.pid && Number.isFinite(h.pid)).map((h) => h.pid);
  }

  /** Start the fleet; nodes connect at `options.connectRate` per second. */
  static start(options: FleetOptions): Fleet {
    return new Fleet(options);
  }

  #onProgress(m: WorkerProgress): void {
    this.#latest[m.workerIndex] = m;
    const r = m.receipts;
    for (let i = 0; i + 4 < r.length; i += 5) {
      const round = r[i] as number;
      let rr = this.#rounds.get(round);
      if (!rr) {
        rr = { round, stampMicros: r[i + 1] as number, at: new Float64Array(this.options.nodes).fill(NaN), nacked: new Uint8Array(this.options.nodes), received: 0, nackedCount: 0 };
        this.#rounds.set(round, rr);
      }
      const node = r[i + 2] as number;
      if (r[i + 4] === 1) {
        if (rr.nacked[node] === 0 && Number.isNaN(rr.at[node])) rr.nackedCount++;
        rr.nacked[node] = 1;
      } else if (Number.isNaN(rr.at[node])) {
        if (rr.nacked[node] === 1) rr.nackedCount--;
        rr.at[node] = r[i + 3] as number;
        rr.received++;
      }
    }
    const s = m.syncs;
    for (let i = 0; i + 2 < s.length; i += 3) {
      const node = s[i] as number;
      this.startedAt[node] = s[i + 1] as number;
      this.syncedAt[node] = s[i + 2] as number;
    }
    const now = Date.now();
    for (const [key, times] of Object.entries(m.versions)) this.convergence.record(key, times, now);
    if (m.versionsDropped) this.convergence.countUntracked(m.versionsDropped);
    this.convergence.settle(now);
    for (const l of this.#listeners) l();
  }

  /** Current totals over all workers (as of their last report). */
  snapshot(): FleetSnapshot {
    const nodes: WorkerNodeCounts = { started: 0, connected: 0, inSync: 0, everSynced: 0, slow: 0, moved: 0 };
    const counters = emptyCounters();
    for (const p of this.#latest) {
      if (!p) continue;
      nodes.started += p.nodes.started;
      nodes.connected += p.nodes.connected;
      nodes.inSync += p.nodes.inSync;
      nodes.everSynced += p.nodes.everSynced;
      nodes.slow += p.nodes.slow;
      nodes.moved += p.nodes.moved;
      addCounters(counters, p.counters);
    }
    const processes = this.#hosts.map((h): ProcessShare => {
      let held = 0;
      let started = 0;
      let connected = 0;
      let everSynced = 0;
      for (const w of h.workerIndices) {
        // Worker w runs nodes w, w + count, …
        held += Math.max(0, Math.ceil((this.options.nodes - w) / this.#workerCount));
        const p = this.#latest[w];
        if (!p) continue;
        started += p.nodes.started;
        connected += p.nodes.connected;
        everSynced += p.nodes.everSynced;
      }
      return { pid: h.pid, nodes: held, started, connected, everSynced };
    });
    return { nodes, counters, workers: this.#workerCount, processes };
  }

  /** Receipts of a round's stamp, if any node has seen it. */
  round(round: number): RoundReceipts | undefined {
    return this.#rounds.get(round);
  }

  /** Every round seen so far, in round order. */
  rounds(): RoundReceipts[] {
    return [...this.#rounds.values()].sort((a, b) => a.round - b.round);
  }

  /** Resolve true once `predicate` holds after a report, false after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve(ok);
      };
      const check = (): void => {
        if (predicate()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#listeners.add(check);
    });
  }

  /** Call `listener` after every worker report; returns a function that removes it. */
  onProgress(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Close every node, collect the final reports, end the workers (and child processes). */
  async stop(): Promise<FleetSnapshot> {
    this.#stopped ??= Promise.all(this.#hosts.map((h) => h.stop())).then(() => undefined);
    await this.#stopped;
    return this.snapshot();
  }
}

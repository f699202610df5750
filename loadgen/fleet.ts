/**
 * @module loadgen/fleet
 * The main-thread side of the load generator: spreads the simulated nodes
 * over worker threads (one per core by default) and gathers what they
 * report into one picture: node counts, wire counters, and per round the
 * time each node first received that round's stamp.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConvergenceTracker } from './convergence';
import { addCounters, emptyCounters } from './messages';
import type { FleetOptions, ToWorker, WorkerCounters, WorkerNodeCounts, WorkerProgress } from './messages';

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

/** A point-in-time view of the fleet. */
export interface FleetSnapshot {
  readonly nodes: WorkerNodeCounts;
  readonly counters: WorkerCounters;
  readonly workers: number;
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
};

/** Worker-thread timeout when stopping, in ms. */
const STOP_TIMEOUT_MS = 10_000;

/** A running fleet of simulated Envoys. */
export class Fleet {
  readonly options: FleetOptions;
  /** Per node: epoch µs when it started connecting (NaN until then is reported as 0). */
  readonly startedAt: Float64Array;
  /** Per node: epoch µs of its first full config, NaN if never. */
  readonly syncedAt: Float64Array;
  /** Convergence of every new resource version, stamped or not. */
  readonly convergence = new ConvergenceTracker();
  readonly #workers: Worker[] = [];
  readonly #latest: (WorkerProgress | undefined)[];
  readonly #rounds = new Map<number, RoundReceipts>();
  readonly #listeners = new Set<() => void>();
  readonly #finals: Promise<void>[] = [];
  #stopped = false;

  private constructor(options: FleetOptions) {
    this.options = options;
    this.startedAt = new Float64Array(options.nodes);
    this.syncedAt = new Float64Array(options.nodes).fill(NaN);
    const count = Math.max(1, Math.min(options.nodes, options.workers || os.availableParallelism()));
    this.#latest = new Array<WorkerProgress | undefined>(count).fill(undefined);
    for (let i = 0; i < count; i++) {
      const w = new Worker(path.join(__dirname, 'fleet-worker.js'));
      w.unref();
      let resolveFinal!: () => void;
      this.#finals.push(new Promise<void>((resolve) => (resolveFinal = resolve)));
      w.on('message', (m: WorkerProgress) => {
        this.#onProgress(m);
        if (m.final) resolveFinal();
      });
      w.on('error', (err) => {
        process.stderr.write(`loadgen worker ${i} failed: ${err.stack ?? String(err)}\n`);
        resolveFinal();
      });
      w.on('exit', () => resolveFinal());
      const init: ToWorker = { kind: 'init', options, workerIndex: i, workerCount: count };
      w.postMessage(init);
      this.#workers.push(w);
    }
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
    return { nodes, counters, workers: this.#workers.length };
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

  /** Close every node, collect the final reports, end the workers. */
  async stop(): Promise<FleetSnapshot> {
    if (!this.#stopped) {
      this.#stopped = true;
      const stop: ToWorker = { kind: 'stop' };
      for (const w of this.#workers) w.postMessage(stop);
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref());
      await Promise.race([Promise.all(this.#finals), timeout]);
      await Promise.all(this.#workers.map((w) => w.terminate()));
    }
    return this.snapshot();
  }
}

/**
 * @module loadgen/fleet-worker
 * Worker-thread entry: runs this worker's share of the simulated nodes
 * (node i belongs to worker i mod workerCount), paces their connections,
 * and reports counts, first receipts of latency stamps and first full
 * configs to the main thread every {@link PROGRESS_INTERVAL_MS}.
 */
import { parentPort } from 'node:worker_threads';
import { CLUSTER, ENDPOINT, LISTENER, ROUTE } from '../src/xds/type-urls';
import { EnvoyNode } from './envoy-node';
import type { Kind, NodeContext } from './envoy-node';
import { emptyCounters, splitTargets } from './messages';
import type { FleetOptions, ToWorker, WorkerProgress } from './messages';
import { NameSetPool } from './name-set';
import { channelCredentials } from './tls';
import { TypeGraph } from './type-state';
import { encodeNode } from './xds-encode';
import type { Stamp } from './stamp';

/** How often a worker reports to the main thread, in ms. */
export const PROGRESS_INTERVAL_MS = 200;
/** Distinct resource versions one progress report carries; more are counted, not listed. */
const MAX_VERSIONS_PER_REPORT = 1024;
/** How often the connection pacer wakes, in ms. */
const PACE_TICK_MS = 10;
const USER_AGENT = 'fanout-xds-loadgen';
const USER_AGENT_VERSION = '0.1.0';

/** Whether node `i` is one of the evenly spread `fraction` of slow consumers. */
export function isSlowNode(i: number, fraction: number): boolean {
  return fraction > 0 && Math.floor((i + 1) * fraction) > Math.floor(i * fraction);
}

class FleetWorker {
  readonly #options: FleetOptions;
  readonly #workerIndex: number;
  readonly #nodes: EnvoyNode[] = [];
  readonly #ctx: NodeContext;
  readonly #seen = new Map<number, Uint8Array>();
  #receipts: number[] = [];
  #syncs: number[] = [];
  #versions = new Map<string, number[]>();
  #versionsDropped = 0;
  #everSynced = 0;
  #started = 0;
  #paceTimer: NodeJS.Timeout | undefined;
  readonly #progressTimer: NodeJS.Timeout;

  constructor(options: FleetOptions, workerIndex: number, workerCount: number) {
    this.#options = options;
    this.#workerIndex = workerIndex;
    const names = new NameSetPool();
    const graphs: Record<Kind, TypeGraph> = {
      cds: new TypeGraph(CLUSTER, true, names),
      eds: new TypeGraph(ENDPOINT, false, names),
      lds: new TypeGraph(LISTENER, true, names),
      rds: new TypeGraph(ROUTE, false, names),
    };
    const counters = emptyCounters();
    const credentials = channelCredentials(options.tls);
    this.#ctx = {
      options,
      graphs,
      names,
      counters,
      credentials,
      targets: splitTargets(options.target),
      nodeBytes: (i) => encodeNode(`${options.nodeIdPrefix}${i}`, options.cluster, USER_AGENT, USER_AGENT_VERSION),
      onStamps: (node, stamps, at, nacked) => this.#onStamps(node.index, stamps, at, nacked),
      onVersions: (_node, versions, at) => this.#onVersions(versions, at),
      onSyncChange: (node, _inSync, first) => {
        if (first) {
          this.#everSynced++;
          this.#syncs.push(node.index, node.startedAtMicros, node.syncedAtMicros);
        }
      },
    };
    for (let i = workerIndex; i < options.nodes; i += workerCount) {
      this.#nodes.push(new EnvoyNode(i, this.#ctx, isSlowNode(i, options.slowFraction)));
    }
    this.#pace(options.connectRate / workerCount);
    this.#progressTimer = setInterval(() => this.#report(false), PROGRESS_INTERVAL_MS);
  }

  #pace(ratePerSecond: number): void {
    const t0 = performance.now();
    const tick = (): void => {
      const due = Math.min(this.#nodes.length, Math.floor(((performance.now() - t0) / 1000) * ratePerSecond) + 1);
      while (this.#started < due) (this.#nodes[this.#started++] as EnvoyNode).start();
      this.#paceTimer = this.#started < this.#nodes.length ? setTimeout(tick, PACE_TICK_MS) : undefined;
    };
    tick();
  }

  #onStamps(index: number, stamps: readonly Stamp[], at: number, nacked: boolean): void {
    for (const s of stamps) {
      let seen = this.#seen.get(s.round);
      if (!seen) {
        seen = new Uint8Array(this.#options.nodes);
        this.#seen.set(s.round, seen);
      }
      // First receipt wins; a NACKed receipt can still be followed by an accepted one.
      if (seen[index] === 2 || (nacked && seen[index] === 1)) continue;
      seen[index] = nacked ? 1 : 2;
      this.#receipts.push(s.round, s.atMicros, index, at, nacked ? 1 : 0);
    }
  }

  #onVersions(versions: readonly string[], at: number): void {
    for (const key of versions) {
      let times = this.#versions.get(key);
      if (!times) {
        if (this.#versions.size >= MAX_VERSIONS_PER_REPORT) {
          this.#versionsDropped++;
          continue;
        }
        times = [];
        this.#versions.set(key, times);
      }
      times.push(at);
    }
  }

  #report(final: boolean): void {
    let connected = 0;
    let inSync = 0;
    let slow = 0;
    let moved = 0;
    for (const n of this.#nodes) {
      // A node that lost its stream keeps its config but is not in sync: it would miss the next change.
      if (n.connected) {
        connected++;
        if (n.inSync) inSync++;
      }
      if (n.paused) slow++;
      if (n.moves > 0) moved++;
    }
    const message: WorkerProgress = {
      kind: 'progress',
      workerIndex: this.#workerIndex,
      final,
      nodes: { started: this.#started, connected, inSync, everSynced: this.#everSynced, slow, moved },
      counters: this.#ctx.counters,
      receipts: this.#receipts,
      syncs: this.#syncs,
      versions: Object.fromEntries(this.#versions),
      versionsDropped: this.#versionsDropped,
    };
    this.#receipts = [];
    this.#syncs = [];
    this.#versions = new Map();
    this.#versionsDropped = 0;
    parentPort?.postMessage(message);
  }

  stop(): void {
    clearTimeout(this.#paceTimer);
    clearInterval(this.#progressTimer);
    for (const n of this.#nodes) n.stop();
    this.#report(true);
  }
}

let worker: FleetWorker | undefined;
parentPort?.on('message', (msg: ToWorker) => {
  if (msg.kind === 'init') worker = new FleetWorker(msg.options, msg.workerIndex, msg.workerCount);
  else if (msg.kind === 'stop') {
    worker?.stop();
    worker = undefined;
    // Let channel closes flush, then leave the event loop.
    setTimeout(() => parentPort?.close(), 50);
  }
});

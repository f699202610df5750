/**
 * @module loadgen/convergence
 * Convergence of every change, without a marker: for each new version of a
 * resource that nodes holding a full config receive, the spread from the
 * first node that received it to the last, and the distribution of each
 * node's receipt time after the first node's.
 *
 * Receipts come from several worker threads, each reporting every few
 * hundred ms, so the first receipt of a version is only known once every
 * worker has reported. A version stays open (its raw receipt times kept)
 * until no receipt has arrived for {@link CONVERGENCE_DEFAULTS}.quietMs; then
 * its times go into one shared histogram and it keeps only a few numbers. At
 * most `maxOpen` versions are open at once and `maxKept` closed ones are kept
 * by name; beyond that receipts are counted as untracked, so the cost stays
 * bounded at 10,000 nodes.
 */
import { LatencyHistogram } from './latency';
import type { Distribution, LatencySummary } from './latency';

/** One version's convergence. */
export interface VersionConvergence {
  /** `<type>/<name>@<version>` or `<type>/<name> (removed)`. */
  readonly key: string;
  /** Nodes that received it. */
  nodes: number;
  /** Epoch µs of the first node's receipt. */
  readonly firstAtMicros: number;
  /** First node → last node, ms. */
  spreadMs: number;
}

/** What the tracker reports. */
export interface ConvergenceSummary {
  /** Versions with at least one receipt. */
  readonly versions: number;
  /** Receipts not tracked because too many versions were open at once. */
  readonly untrackedReceipts: number;
  /** Per version: first node → last node, ms. */
  readonly spreadMs: LatencySummary;
  /** Per receipt: time after the first node's receipt of the same version, ms. */
  readonly afterFirstMs: LatencySummary;
  readonly afterFirstDistribution: Distribution;
  /** The versions with the widest spread, widest first. */
  readonly slowest: VersionConvergence[];
}

/** Limits of a {@link ConvergenceTracker}. */
export interface ConvergenceLimits {
  /** Versions whose receipts are still arriving, kept with their raw times. */
  readonly maxOpen: number;
  /** Closed versions kept by name (late receipts still count toward them). */
  readonly maxKept: number;
  /** A version closes after this long without a receipt, ms. */
  readonly quietMs: number;
}

export const CONVERGENCE_DEFAULTS: ConvergenceLimits = { maxOpen: 256, maxKept: 10_000, quietMs: 2_000 };

/** Versions listed as slowest. */
const SLOWEST = 10;

interface Open {
  readonly times: number[];
  lastArrivalMs: number;
}

/** Tracks receipts of resource versions across the fleet. */
export class ConvergenceTracker {
  readonly #limits: ConvergenceLimits;
  readonly #open = new Map<string, Open>();
  readonly #closed = new Map<string, VersionConvergence>();
  readonly #afterFirst = new LatencyHistogram();
  /** Spreads of closed versions evicted from #closed. */
  readonly #evictedSpreads = new LatencyHistogram();
  #slowestEvicted: VersionConvergence[] = [];
  #untracked = 0;

  constructor(limits: Partial<ConvergenceLimits> = {}) {
    this.#limits = { ...CONVERGENCE_DEFAULTS, ...limits };
  }

  /** Receipts of `key` at `timesMicros` (epoch µs), reported at `nowMs`. */
  record(key: string, timesMicros: readonly number[], nowMs: number): void {
    const closed = this.#closed.get(key);
    if (closed) {
      // A late receipt (a slow or reconnecting node): relative to the known first.
      for (const t of timesMicros) {
        this.#afterFirst.record(t - closed.firstAtMicros);
        closed.spreadMs = Math.max(closed.spreadMs, (t - closed.firstAtMicros) / 1000);
        closed.nodes++;
      }
      return;
    }
    let open = this.#open.get(key);
    if (!open) {
      if (this.#open.size >= this.#limits.maxOpen) {
        this.#untracked += timesMicros.length;
        return;
      }
      open = { times: [], lastArrivalMs: nowMs };
      this.#open.set(key, open);
    }
    for (const t of timesMicros) open.times.push(t);
    open.lastArrivalMs = nowMs;
  }

  /** Receipts a worker could not list (too many versions in one report). */
  countUntracked(receipts: number): void {
    this.#untracked += receipts;
  }

  /** Close versions without receipts for `quietMs` (all of them with `all`). */
  settle(nowMs: number, all = false): void {
    for (const [key, open] of this.#open) {
      if (!all && nowMs - open.lastArrivalMs < this.#limits.quietMs) continue;
      this.#open.delete(key);
      let first = Infinity;
      let last = -Infinity;
      for (const t of open.times) {
        if (t < first) first = t;
        if (t > last) last = t;
      }
      for (const t of open.times) this.#afterFirst.record(t - first);
      this.#closed.set(key, { key, nodes: open.times.length, firstAtMicros: first, spreadMs: (last - first) / 1000 });
      if (this.#closed.size > this.#limits.maxKept) this.#evictOldest();
    }
  }

  #evictOldest(): void {
    const [key, v] = this.#closed.entries().next().value as [string, VersionConvergence];
    this.#closed.delete(key);
    this.#evictedSpreads.record(v.spreadMs * 1000);
    this.#slowestEvicted = widest([...this.#slowestEvicted, v]);
  }

  /** Everything so far; closes every open version first. */
  summary(): ConvergenceSummary {
    this.settle(0, true);
    const spreads = new LatencyHistogram();
    spreads.add(this.#evictedSpreads);
    for (const v of this.#closed.values()) spreads.record(v.spreadMs * 1000);
    return {
      versions: spreads.count,
      untrackedReceipts: this.#untracked,
      spreadMs: spreads.summary(),
      afterFirstMs: this.#afterFirst.summary(),
      afterFirstDistribution: this.#afterFirst.distribution(),
      slowest: widest([...this.#slowestEvicted, ...this.#closed.values()]).map((v) => ({ ...v })),
    };
  }
}

function widest(list: VersionConvergence[]): VersionConvergence[] {
  return list.sort((a, b) => b.spreadMs - a.spreadMs || a.firstAtMicros - b.firstAtMicros).slice(0, SLOWEST);
}

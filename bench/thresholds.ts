/**
 * @module bench/thresholds
 * `--threshold 'delta.p99<1000'`: named figures of a variant's result, and
 * checks against them. A missed threshold (or a figure that could not be
 * measured) makes `npm run bench` exit non-zero, so CI can hold a line.
 */
import { UsageError } from '../loadgen/index';
import type { BenchResult, VariantResult } from './result';

/** Every figure a threshold can name, with its unit. */
export const METRICS: Record<string, { readonly unit: string; readonly of: (v: VariantResult) => number }> = {
  p50: { unit: 'ms', of: (v) => v.latency.p50 },
  p90: { unit: 'ms', of: (v) => v.latency.p90 },
  p99: { unit: 'ms', of: (v) => v.latency.p99 },
  p999: { unit: 'ms', of: (v) => v.latency.p999 },
  max: { unit: 'ms', of: (v) => v.latency.max },
  convergence: { unit: 'ms', of: (v) => v.convergenceMs.max },
  convergenceMedian: { unit: 'ms', of: (v) => v.convergenceMs.median },
  sync: { unit: 'ms', of: (v) => v.initialSync.allInSyncMs },
  syncAfterLastConnect: { unit: 'ms', of: (v) => v.initialSync.afterLastConnectMs },
  firstConfigP99: { unit: 'ms', of: (v) => v.initialSync.firstFullConfig.p99 },
  bytesPerUpdate: { unit: 'B/node', of: (v) => v.rxBytesPerNodePerUpdate },
  messagesPerUpdate: { unit: 'msgs/node', of: (v) => v.rxMessagesPerNodePerUpdate },
  syncBytes: { unit: 'B/node', of: (v) => v.initialSync.rxBytesPerNode },
  cpuPerRound: { unit: 's', of: (v) => v.serverCpuSecondsPerRound },
  cpuSync: { unit: 's', of: (v) => v.initialSync.serverCpuSeconds },
  cpuTotal: { unit: 's', of: (v) => v.server.cpuSecondsTotal },
  peakRss: { unit: 'MiB', of: (v) => v.server.peakRssBytes / 1048576 },
  rssPerNode: { unit: 'KB', of: (v) => v.server.rssPerNodeBytes / 1000 },
  rssPerNodeAtSync: { unit: 'KB', of: (v) => v.server.rssPerNodeAtSyncBytes / 1000 },
  failed: { unit: 'nodes', of: (v) => v.initialSync.failed + v.rounds.reduce((a, r) => a + r.timedOut, 0) },
};

type Op = '<' | '<=' | '>' | '>=' | '==';
const PATTERN = /^\s*(sotw|delta)\.([A-Za-z0-9]+)\s*(<=|>=|<|>|==)\s*(-?[0-9.]+(?:e[+-]?\d+)?)\s*$/i;

/** A parsed threshold. */
export interface Threshold {
  readonly expression: string;
  readonly variant: 'sotw' | 'delta';
  readonly metric: string;
  readonly op: Op;
  readonly limit: number;
}

/** Parse one expression; throws a UsageError naming the valid metrics. */
export function parseThreshold(expression: string): Threshold {
  const m = PATTERN.exec(expression);
  if (!m) throw new UsageError(`--threshold ${expression}: expected <sotw|delta>.<metric><op><number>, e.g. delta.p99<1000`);
  const [, variant, metric, op, limit] = m as unknown as [string, 'sotw' | 'delta', string, Op, string];
  if (!(metric in METRICS)) throw new UsageError(`--threshold ${expression}: unknown metric ${metric}; one of ${Object.keys(METRICS).join(', ')}`);
  return { expression, variant: variant.toLowerCase() as 'sotw' | 'delta', metric, op, limit: Number(limit) };
}

function compare(actual: number, op: Op, limit: number): boolean {
  switch (op) {
    case '<': return actual < limit;
    case '<=': return actual <= limit;
    case '>': return actual > limit;
    case '>=': return actual >= limit;
    case '==': return actual === limit;
  }
}

/** Evaluate thresholds; a variant that did not run, or a NaN figure, fails. */
export function checkThresholds(result: Pick<BenchResult, 'variants'>, thresholds: readonly Threshold[]): BenchResult['thresholds'] {
  return thresholds.map((t) => {
    const v = result.variants[t.variant];
    const metric = METRICS[t.metric] as (typeof METRICS)[string];
    const actual = v ? metric.of(v) : NaN;
    return { expression: t.expression, actual, pass: Number.isFinite(actual) && compare(actual, t.op, t.limit) };
  });
}

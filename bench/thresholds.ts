/**
 * @module bench/thresholds
 * `--threshold 'delta.p99<1000'`: named figures of a variant's result, and
 * checks against them. `'sotw.convergence/floor<=2'` checks our figure
 * divided by the floor server's (`--with-floor`). A missed threshold (or a figure that could not be
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
  rssPerNodeConnected: { unit: 'KiB', of: (v) => (v.server.rssPerNodeConnectedBytes ?? NaN) / 1024 },
  restartBytes: { unit: 'B/node', of: (v) => v.restart?.rxBytesPerNode ?? NaN },
  failoverBytes: { unit: 'B/node', of: (v) => v.failover?.rxBytesPerMovedNode ?? NaN },
  failoverBack: { unit: 'ms', of: (v) => v.failover?.backInSyncMs ?? NaN },
  failed: { unit: 'nodes', of: (v) => v.initialSync.failed + v.rounds.reduce((a, r) => a + r.timedOut, 0) },
};

type Op = '<' | '<=' | '>' | '>=' | '==';
const PATTERN = /^\s*(sotw|delta)\.([A-Za-z0-9]+)(\/floor)?\s*(<=|>=|<|>|==)\s*(-?[0-9.]+(?:e[+-]?\d+)?)\s*$/i;

/** A parsed threshold. */
export interface Threshold {
  readonly expression: string;
  readonly variant: 'sotw' | 'delta';
  readonly metric: string;
  readonly op: Op;
  readonly limit: number;
  /** Set when the figure is ours / the floor's. */
  readonly perFloor?: true;
}

/** Parse one expression; throws a UsageError naming the valid metrics. */
export function parseThreshold(expression: string): Threshold {
  const m = PATTERN.exec(expression);
  if (!m) throw new UsageError(`--threshold ${expression}: expected <sotw|delta>.<metric><op><number>, e.g. delta.p99<1000`);
  const [, variant, metric, perFloor, op, limit] = m as unknown as [string, 'sotw' | 'delta', string, string | undefined, Op, string];
  if (!(metric in METRICS)) throw new UsageError(`--threshold ${expression}: unknown metric ${metric}; one of ${Object.keys(METRICS).join(', ')}`);
  return { expression, variant: variant.toLowerCase() as 'sotw' | 'delta', metric, op, limit: Number(limit), ...(perFloor ? { perFloor: true as const } : {}) };
}

function compare(actual: number, op: Op, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
  }
}

/** ours / floor; NaN where either is not a finite number or the floor's is 0. */
function ratioOf(ours: number, floor: number): number {
  return Number.isFinite(ours) && Number.isFinite(floor) && floor !== 0 ? ours / floor : NaN;
}

/** Every named figure of `ours` divided by the same figure of `floor`. */
export function ratiosToFloor(ours: VariantResult, floor: VariantResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, metric] of Object.entries(METRICS)) out[name] = ratioOf(metric.of(ours), metric.of(floor));
  return out;
}

/** Evaluate thresholds; a variant that did not run, or a NaN figure, fails. */
export function checkThresholds(result: Pick<BenchResult, 'variants' | 'floor'>, thresholds: readonly Threshold[]): BenchResult['thresholds'] {
  return thresholds.map((t) => {
    const v = result.variants[t.variant];
    const metric = METRICS[t.metric] as (typeof METRICS)[string];
    let actual = v ? metric.of(v) : NaN;
    if (t.perFloor) {
      const f = result.floor?.[t.variant];
      actual = f ? ratioOf(actual, metric.of(f)) : NaN;
    }
    return { expression: t.expression, actual, pass: Number.isFinite(actual) && compare(actual, t.op, t.limit) };
  });
}

/** A figure with as many digits as it needs. */
function figure(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? String(+v.toFixed(1)) : String(+v.toPrecision(3));
}

/**
 * One checked threshold as a line with units, the relation the figure
 * actually has to the limit, and what was wanted when it failed:
 * `FAIL  delta.p99 412 ms > 400 ms (wanted < 400 ms)`.
 */
export function describeThreshold(checked: BenchResult['thresholds'][number]): string {
  let t: Threshold;
  try {
    t = parseThreshold(checked.expression);
  } catch {
    // A result saved with a metric this bench no longer knows: the bare figure.
    return `${checked.pass ? 'pass' : 'FAIL'}  ${checked.expression} (actual ${figure(checked.actual)})`;
  }
  const unit = t.perFloor ? '× floor' : (METRICS[t.metric] as (typeof METRICS)[string]).unit;
  const name = `${t.variant}.${t.metric}${t.perFloor ? '/floor' : ''}`;
  const limit = `${figure(t.limit)} ${unit}`;
  const a = checked.actual;
  const relation = !Number.isFinite(a) ? undefined : a < t.limit ? '<' : a > t.limit ? '>' : '=';
  const wanted = `${t.op === '==' ? '=' : t.op} ${limit}`;
  const body = relation === undefined ? `${name} not measured (wanted ${wanted})` : `${name} ${figure(a)} ${unit} ${relation} ${limit}${checked.pass ? '' : ` (wanted ${wanted})`}`;
  return `${checked.pass ? 'pass' : 'FAIL'}  ${body}`;
}

/**
 * @module bench/growth-charts
 * The "growth with fleet size" charts of a sweep: each growth figure
 * against the node count, one line per variant for ours and one for the
 * floor where it ran, and ours / floor of the two headline figures. Same
 * conventions as the run's charts: a visible title, the sample count per
 * point in the subtitle, axis labels with units; a chart with nothing
 * measured is named in {@link ChartSet.missing} instead.
 */
import type { Variant } from '../loadgen/index';
import { GROWTH_METRICS, growthRatio, variantOf } from './growth';
import type { GrowthMetric } from './growth';
import type { ChartSet } from './report-charts';
import type { BenchResult, SweepResult } from './result';
import { lineChart } from './svg-charts';
import type { Series } from './svg-charts';

const X_LABEL = 'fleet size (nodes)';
/** Ours / floor lines: one colour per variant and figure. */
const RATIO_COLORS: Record<string, string> = { 'sotw CPU/round': '#1f77b4', 'sotw p99': '#17becf', 'delta CPU/round': '#ff7f0e', 'delta p99': '#d62728' };

/** The lines of one run kind and variant that ran at any size. */
interface Line {
  readonly variant: Variant;
  readonly kind: 'ours' | 'floor';
  readonly name: string;
}

function linesOf(runs: readonly BenchResult[]): Line[] {
  const out: Line[] = [];
  for (const variant of ['sotw', 'delta'] as const) {
    for (const kind of ['ours', 'floor'] as const) {
      if (runs.some((r) => variantOf(r, variant, kind))) out.push({ variant, kind, name: kind === 'ours' ? variant : `${variant} floor` });
    }
  }
  return out;
}

/** "n = 2 rounds (mean) per point" or, where sizes differ, "n = 200 / 500 receipts per point (by size)". */
function sampleNote(runs: readonly BenchResult[], lines: readonly Line[], metric: GrowthMetric): string {
  let what = '';
  const perSize = runs.map((r) => {
    const counts = new Set<number>();
    for (const l of lines) {
      const v = variantOf(r, l.variant, l.kind);
      if (!v || !Number.isFinite(metric.of(v, r.setup.nodes))) continue;
      const s = metric.samples(v);
      counts.add(s.n);
      what = s.of;
    }
    const sorted = [...counts].sort((a, b) => a - b);
    return sorted.length === 0 ? '-' : sorted.length === 1 ? String(sorted[0]) : `${sorted[0]}–${sorted[sorted.length - 1]}`;
  });
  const same = perSize.every((c) => c === perSize[0]);
  return same ? `n = ${perSize[0]} ${what} per point` : `n = ${perSize.join(' / ')} ${what} per point (by fleet size)`;
}

function metricChart(runs: readonly BenchResult[], lines: readonly Line[], metric: GrowthMetric, colorOf: (name: string) => string): { svg?: string; title: string } {
  const series: Series[] = lines.map((l) => ({
    name: l.name,
    color: colorOf(l.name),
    points: runs.map((r) => {
      const v = variantOf(r, l.variant, l.kind);
      return [r.setup.nodes, v ? metric.of(v, r.setup.nodes) : NaN] as const;
    }),
  }));
  if (!series.some((s) => s.points.some(([, y]) => Number.isFinite(y)))) return { title: metric.title };
  const subtitle = `${sampleNote(runs, lines, metric)}, one fresh run per size and server`;
  return { title: metric.title, svg: lineChart({ title: metric.title, subtitle, xLabel: X_LABEL, yLabel: metric.yLabel }, series, { markers: true }) };
}

function ratioChart(runs: readonly BenchResult[]): { svg?: string; title: string } | undefined {
  if (!runs.some((r) => r.floor)) return undefined;
  const title = 'Ours / floor by fleet size';
  const picked = GROWTH_METRICS.filter((m) => m.key === 'cpuPerRoundS' || m.key === 'p99Ms');
  const series: Series[] = [];
  for (const variant of ['sotw', 'delta'] as const) {
    for (const m of picked) {
      const name = `${variant} ${m.key === 'p99Ms' ? 'p99' : 'CPU/round'}`;
      const points = runs.map((r) => {
        const [ours, floor] = [variantOf(r, variant, 'ours'), variantOf(r, variant, 'floor')];
        const [o, f] = [ours ? m.of(ours, r.setup.nodes) : NaN, floor ? m.of(floor, r.setup.nodes) : NaN];
        return [r.setup.nodes, growthRatio(o, f)] as const;
      });
      if (points.some(([, y]) => Number.isFinite(y))) series.push({ name, color: RATIO_COLORS[name] as string, points });
    }
  }
  if (!series.length) return { title };
  return {
    title,
    svg: lineChart(
      {
        title,
        subtitle: `n = 1 run of ours and 1 of the floor per point; server CPU per round and update p99, ours ÷ floor (1 = as cheap as the floor)`,
        xLabel: X_LABEL,
        yLabel: 'ours ÷ floor (ratio)',
      },
      series,
      { markers: true },
    ),
  };
}

/** The growth charts of `sweep`; `colorOf` gives each line ("delta", "delta floor") the report's colour. */
export function growthCharts(sweep: SweepResult, colorOf: (name: string) => string): ChartSet {
  const svgs: string[] = [];
  const missing: string[] = [];
  const lines = linesOf(sweep.runs);
  const charts = [...GROWTH_METRICS.map((m) => metricChart(sweep.runs, lines, m, colorOf)), ratioChart(sweep.runs)];
  for (const c of charts) {
    if (!c) continue;
    if (c.svg) svgs.push(c.svg);
    else missing.push(c.title);
  }
  return { svgs, missing };
}

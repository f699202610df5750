/**
 * @module bench/report-charts
 * The charts of a report, from a list of runs (a variant of ours, the
 * floor's, or with `--compare` the same variant of two saved results). Every
 * chart has its own title, a subtitle with its sample count, and axis labels
 * with units. Charts with nothing measured (e.g. server CPU of an external
 * target) are left out and named in {@link ChartSet.missing}.
 */
import type { Distribution, LatencySummary } from '../loadgen/index';
import type { VariantResult } from './result';
import { PERCENTILE_TICKS, barChart, boxChart, lineChart, percentileX } from './svg-charts';
import type { Box, ChartText, Series } from './svg-charts';
import type { Timeline } from './timeline';

/** One series source: a variant's result under a display name. */
export interface Run {
  readonly name: string;
  readonly color: string;
  readonly v: VariantResult;
}

/** The rendered charts, and the titles of those with no data. */
export interface ChartSet {
  readonly svgs: string[];
  readonly missing: string[];
}

const MIB = 1048576;

function finiteCount(values: readonly (number | null)[]): number {
  return values.filter((x) => typeof x === 'number' && Number.isFinite(x)).length;
}

/** "sotw 600, delta 600" */
function perRun(runs: readonly Run[], count: (r: Run) => number): string {
  return runs.map((r) => `${r.name} ${count(r)}`).join(', ');
}

function hdrSeries(runs: readonly Run[], dist: (v: VariantResult) => Distribution | undefined): Series[] {
  return runs.map(({ name, color, v }) => ({ name, color, points: (dist(v) ?? []).map(([p, ms]) => [percentileX(p), ms] as const) }));
}

function boxOf(l: LatencySummary | undefined): Box | undefined {
  if (!l || !(l.count > 0)) return undefined;
  // Results saved before p25/p75 existed: a box from p50 alone.
  return { min: l.min, p25: l.p25 ?? l.p50, p50: l.p50, p75: l.p75 ?? l.p90, p99: l.p99, max: l.max };
}

function timelineChart(runs: readonly Run[], text: Omit<ChartText, 'subtitle' | 'xLabel'>, pick: (t: Timeline) => readonly number[], scale = 1): { svg?: string; title: string } {
  const series: Series[] = runs.map(({ name, color, v }) => ({
    name,
    color,
    points: v.timeline ? v.timeline.atMs.map((at, i) => [at / 1000, (pick(v.timeline as Timeline)[i] ?? NaN) / scale] as const) : [],
  }));
  const counts = runs.map((r) => (r.v.timeline ? finiteCount(pick(r.v.timeline)) : 0));
  if (counts.every((c) => c === 0)) return { title: text.title };
  const subtitle = `n = ${runs.map((r, i) => `${r.name} ${counts[i]}`).join(', ')} samples (every 250 ms, thinned on long runs)`;
  return { svg: lineChart({ ...text, subtitle, xLabel: 'time since the fleet started (s)' }, series), title: text.title };
}

/** Every chart of the report for `runs`; `titleSuffix` (" (1000 nodes)") keeps titles apart on a page with several runs. */
export function reportCharts(runs: readonly Run[], titleSuffix = ''): ChartSet {
  const svgs: string[] = [];
  const missing: string[] = [];
  const add = (c: { svg?: string; title: string }): void => {
    if (c.svg) svgs.push(c.svg);
    else missing.push(c.title);
  };
  const withRounds = runs.filter((r) => r.v.rounds.length > 0);

  const latencyTitle = 'Update latency by percentile (commit → node receipt)' + titleSuffix;
  add(
    withRounds.some((r) => r.v.latency.count > 0)
      ? {
          title: latencyTitle,
          svg: lineChart(
            {
              title: latencyTitle,
              subtitle: `n = ${perRun(withRounds, (r) => r.v.latency.count)} receipts over all rounds; the right edge is the maximum`,
              xLabel: 'percentile (log scale: each further nine is as wide)',
              yLabel: 'latency (ms)',
            },
            hdrSeries(withRounds, (v) => v.latencyDistribution),
            { xMax: 5, xTicks: PERCENTILE_TICKS },
          ),
        }
      : { title: latencyTitle },
  );

  const roundCount = Math.max(0, ...withRounds.map((r) => r.v.rounds.length));
  const roundLabels = Array.from({ length: roundCount }, (_, i) => `#${i + 1}`);
  const perRound = 'Update latency per round' + titleSuffix;
  add(
    withRounds.length
      ? {
          title: perRound,
          svg: boxChart(
            {
              title: perRound,
              subtitle: `n = ${perRun(withRounds, (r) => Math.max(0, ...r.v.rounds.map((x) => x.latency.count)))} receipts per round; box p25–p75, bar p50, whiskers min–p99, dot max`,
              xLabel: 'update round',
              yLabel: 'latency from commit (ms)',
            },
            roundLabels,
            withRounds.map(({ name, color, v }) => ({ name, color, boxes: roundLabels.map((_, i) => boxOf(v.rounds[i]?.latency)) })),
          ),
        }
      : { title: perRound },
  );

  const conv = 'Convergence per round (commit → last node)' + titleSuffix;
  add(
    withRounds.length
      ? {
          title: conv,
          svg: barChart(
            { title: conv, subtitle: `n = ${perRun(withRounds, (r) => r.v.rounds.length)} rounds, one value each`, xLabel: 'update round', yLabel: 'convergence (ms)' },
            roundLabels,
            withRounds.map(({ name, color, v }) => ({ name, color, points: roundLabels.map((_, i) => [i, v.rounds[i]?.convergenceMs ?? NaN] as const) })),
          ),
        }
      : { title: conv },
  );

  const bytes = 'Bytes received per node, per update round' + titleSuffix;
  add(
    withRounds.some((r) => r.v.rounds.some((x) => x.rxBytesPerNode !== null))
      ? {
          title: bytes,
          svg: barChart(
            {
              title: bytes,
              subtitle: `n = ${perRun(withRounds, (r) => finiteCount(r.v.rounds.map((x) => x.rxBytesPerNode)))} rounds; received during the round ÷ nodes expected`,
              xLabel: 'update round',
              yLabel: 'bytes per node (B)',
            },
            roundLabels,
            withRounds.map(({ name, color, v }) => ({ name, color, points: roundLabels.map((_, i) => [i, v.rounds[i]?.rxBytesPerNode ?? NaN] as const) })),
          ),
        }
      : { title: bytes },
  );

  const sync = 'Initial sync: bytes received per node, per run' + titleSuffix;
  add(
    runs.length
      ? {
          title: sync,
          svg: barChart(
            {
              title: sync,
              subtitle: `n = ${perRun(runs, (r) => r.v.initialSync.synced)} nodes; all received until every node held a full config ÷ nodes`,
              xLabel: 'run',
              yLabel: 'bytes per node (B)',
            },
            runs.map((r) => r.name),
            [{ name: 'bytes per node', color: '#2ca02c', points: runs.map(({ v }, i) => [i, v.initialSync.rxBytesPerNode] as const) }],
          ),
        }
      : { title: sync },
  );

  const every = 'Every change: receipt after the first node (no marker needed)' + titleSuffix;
  const tracked = runs.filter((r) => (r.v.versionConvergence?.afterFirstMs.count ?? 0) > 0);
  add(
    tracked.length
      ? {
          title: every,
          svg: lineChart(
            {
              title: every,
              subtitle: `n = ${perRun(tracked, (r) => r.v.versionConvergence?.afterFirstMs.count ?? 0)} receipts of ${perRun(tracked, (r) => r.v.versionConvergence?.versions ?? 0)} new resource versions`,
              xLabel: 'percentile (log scale: each further nine is as wide)',
              yLabel: 'time after the first node (ms)',
            },
            hdrSeries(tracked, (v) => v.versionConvergence?.afterFirstDistribution),
            { xMax: 5, xTicks: PERCENTILE_TICKS },
          ),
        }
      : { title: every },
  );

  add(timelineChart(runs, { title: 'Nodes connected over time' + titleSuffix, yLabel: 'every stream open (nodes)' }, (t) => t.connected));
  add(timelineChart(runs, { title: 'Nodes in sync over time' + titleSuffix, yLabel: 'connected with full config (nodes)' }, (t) => t.inSync));
  add(timelineChart(runs, { title: 'Server CPU over time' + titleSuffix, yLabel: 'server CPU (% of one core)' }, (t) => t.serverCpuPercent));
  add(timelineChart(runs, { title: 'Server RSS over time' + titleSuffix, yLabel: 'server resident memory (MiB)' }, (t) => t.serverRssBytes, MIB));
  add(timelineChart(runs, { title: 'Server event-loop delay over time' + titleSuffix, yLabel: 'loop delay, p99 per second (ms)' }, (t) => t.serverLoopDelayMs));
  add(timelineChart(runs, { title: 'Loadgen CPU over time' + titleSuffix, yLabel: 'loadgen CPU (% of one core)' }, (t) => t.loadgenCpuPercent));
  return { svgs, missing };
}

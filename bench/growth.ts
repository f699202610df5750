/**
 * @module bench/growth
 * `--nodes 1000,2500,5000`: how the cost grows with the fleet. The figures
 * read from each size's result (ours, the floor's, ours / floor), the
 * growth points saved in the sweep's JSON, and the growth table printed
 * after the last size.
 */
import type { Variant } from '../loadgen/index';
import { pad } from './report';
import type { BenchResult, GrowthFigures, GrowthPoint, SweepResult, VariantResult } from './result';

/** One figure followed across fleet sizes. */
export interface GrowthMetric {
  /** Key in the JSON's growth points, unit included. */
  readonly key: string;
  /** Column header of the growth table. */
  readonly column: string;
  /** What the column holds, for the legend under the table. */
  readonly meaning: string;
  /** Chart title and y axis label (with its unit). */
  readonly title: string;
  readonly yLabel: string;
  /** The figure in its display unit for a run of `nodes` nodes; NaN where not measured. */
  of(v: VariantResult, nodes: number): number;
  format(n: number): string;
  /** How many samples one value rests on, and of what ("2 rounds"). */
  samples(v: VariantResult): { readonly n: number; readonly of: string };
}

function fixed(v: number, digits: number, unit: string): string {
  return Number.isFinite(v) ? `${v.toFixed(digits)} ${unit}` : '-';
}

function finiteCount(values: readonly (number | null)[]): number {
  return values.filter((x) => typeof x === 'number' && Number.isFinite(x)).length;
}

const cpuRounds = (v: VariantResult): { n: number; of: string } => ({ n: finiteCount(v.rounds.map((r) => r.serverCpuSeconds)), of: 'rounds (mean)' });

/** The growth table's columns, in order; the charts follow the same list. */
export const GROWTH_METRICS: readonly GrowthMetric[] = [
  {
    key: 'cpuPerRoundS',
    column: 'CPU/round',
    meaning: 'server CPU per update round (mean of rounds)',
    title: 'Server CPU per round by fleet size',
    yLabel: 'server CPU per round (s)',
    of: (v) => v.serverCpuSecondsPerRound,
    format: (n) => fixed(n, 3, 's'),
    samples: cpuRounds,
  },
  {
    key: 'cpuPerRoundPerNodeUs',
    column: 'per node',
    meaning: 'that CPU divided by the fleet size: flat when the cost per node does not grow',
    title: 'Server CPU per round per node by fleet size',
    yLabel: 'server CPU per round per node (µs)',
    of: (v, nodes) => (v.serverCpuSecondsPerRound / nodes) * 1e6,
    format: (n) => fixed(n, 1, 'µs'),
    samples: cpuRounds,
  },
  {
    key: 'p99Ms',
    column: 'update p99',
    meaning: 'commit → node receipt, p99 over every round',
    title: 'Update latency p99 by fleet size',
    yLabel: 'update latency p99 (ms)',
    of: (v) => v.latency.p99,
    format: (n) => fixed(n, 1, 'ms'),
    samples: (v) => ({ n: v.latency.count, of: 'receipts' }),
  },
  {
    key: 'syncAfterLastConnectS',
    column: 'sync after last',
    meaning: 'the last connect → every node holding a full config',
    title: 'All nodes in sync after the last connect, by fleet size',
    yLabel: 'last connect → all in sync (s)',
    of: (v) => v.initialSync.afterLastConnectMs / 1000,
    format: (n) => fixed(n, 2, 's'),
    samples: (v) => ({ n: v.initialSync.synced, of: 'nodes in sync (time of the last)' }),
  },
  {
    key: 'syncCpuS',
    column: 'sync CPU',
    meaning: 'server CPU from idle to every node in sync',
    title: 'Initial sync: server CPU by fleet size',
    yLabel: 'server CPU, initial sync (s)',
    of: (v) => v.initialSync.serverCpuSeconds,
    format: (n) => fixed(n, 2, 's'),
    samples: () => ({ n: 1, of: 'run' }),
  },
  {
    key: 'rssPerNodeConnectedKiB',
    column: 'RSS/node',
    meaning: '(server RSS with the fleet connected and quiet − RSS before any node connected) ÷ nodes in sync',
    title: 'Server RSS per node over idle, by fleet size',
    yLabel: 'RSS over idle per node (KiB)',
    of: (v) => (v.server.rssPerNodeConnectedBytes ?? NaN) / 1024,
    format: (n) => fixed(n, 1, 'KiB'),
    samples: () => ({ n: 1, of: 'RSS sample after the sync and --settle-ms' }),
  },
];

function figuresOf(v: VariantResult, nodes: number): GrowthFigures {
  return Object.fromEntries(GROWTH_METRICS.map((m) => [m.key, m.of(v, nodes)]));
}

/**
 * ours / floor where both are measured and above zero. Each growth figure is
 * a cost, so a figure at or below zero (RSS over idle on a small fleet, where
 * the allocator's noise is larger than the fleet) has no meaningful ratio.
 */
export function growthRatio(ours: number, floor: number): number {
  return ours > 0 && floor > 0 && Number.isFinite(ours) && Number.isFinite(floor) ? ours / floor : NaN;
}

function oursPerFloor(ours: number, floor: number): string {
  const r = growthRatio(ours, floor);
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '-';
}

function perFloor(ours: GrowthFigures, floor: GrowthFigures): GrowthFigures {
  return Object.fromEntries(GROWTH_METRICS.map((m) => [m.key, growthRatio(ours[m.key] ?? NaN, floor[m.key] ?? NaN)]));
}

/** Every size and variant of the sweep's runs, as saved in its JSON. */
export function growthPoints(runs: readonly BenchResult[]): GrowthPoint[] {
  const out: GrowthPoint[] = [];
  for (const run of runs) {
    const nodes = run.setup.nodes;
    for (const variant of ['sotw', 'delta'] as const) {
      const v = run.variants[variant];
      if (!v) continue;
      const ours = figuresOf(v, nodes);
      const f = run.floor?.[variant];
      const floor = f ? figuresOf(f, nodes) : undefined;
      out.push({ nodes, variant, ours, ...(floor ? { floor, oursPerFloor: perFloor(ours, floor) } : {}) });
    }
  }
  return out;
}

/** The runs of one fleet size and variant: ours and, where it ran, the floor. */
export function variantOf(run: BenchResult, variant: Variant, kind: 'ours' | 'floor'): VariantResult | undefined {
  return kind === 'ours' ? run.variants[variant] : run.floor?.[variant];
}

const NODES_WIDTH = 8;
const RUN_WIDTH = 18;
const CELL_WIDTH = 17;
const LEGEND_WIDTH = 18;

/**
 * The growth table: one line per fleet size and run (ours, the floor,
 * ours / floor), one column per {@link GROWTH_METRICS}, and a legend.
 */
export function formatGrowth(sweep: SweepResult): string {
  const floorRan = sweep.runs.some((r) => r.floor);
  const out = [
    `growth with fleet size (${sweep.fleetSizes.join(', ')} nodes; a fresh server and fleet per size and run${floorRan ? '; ours/floor divides our figure by the floor\u2019s' : ''}):`,
    pad('nodes', NODES_WIDTH, true) + '  ' + pad('run', RUN_WIDTH) + GROWTH_METRICS.map((m) => pad(m.column, CELL_WIDTH, true)).join(''),
    '-'.repeat(NODES_WIDTH + 2 + RUN_WIDTH + CELL_WIDTH * GROWTH_METRICS.length),
  ];
  const line = (nodes: number, run: string, cell: (m: GrowthMetric) => string): string =>
    pad(String(nodes), NODES_WIDTH, true) + '  ' + pad(run, RUN_WIDTH) + GROWTH_METRICS.map((m) => pad(cell(m), CELL_WIDTH, true)).join('');
  for (const run of sweep.runs) {
    const nodes = run.setup.nodes;
    for (const variant of ['sotw', 'delta'] as const) {
      const ours = variantOf(run, variant, 'ours');
      if (!ours) continue;
      out.push(line(nodes, ours.ok ? variant : `${variant} (failed)`, (m) => m.format(m.of(ours, nodes))));
      const floor = variantOf(run, variant, 'floor');
      if (!floor) continue;
      out.push(line(nodes, floor.ok ? `${variant} floor` : `${variant} floor (failed)`, (m) => m.format(m.of(floor, nodes))));
      out.push(line(nodes, `${variant} ours/floor`, (m) => oursPerFloor(m.of(ours, nodes), m.of(floor, nodes))));
    }
  }
  out.push('', ...GROWTH_METRICS.map((m) => `  ${pad(m.column, LEGEND_WIDTH)}${m.meaning}`));
  return out.join('\n') + '\n';
}

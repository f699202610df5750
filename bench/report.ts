/**
 * @module bench/report
 * The final table: SotW beside delta with their ratio, the setup line that
 * makes the figures reproducible, and one line per round. With
 * `--with-floor`, each variant's column is followed by the floor server's
 * and by ours / floor.
 */
import type { BenchResult, BenchSetup, VariantResult } from './result';
import { describeThreshold } from './thresholds';

const MIB = 1048576;

function mean(values: (number | null)[]): number {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

function num(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 100_000) return v.toExponential(2);
  return v.toFixed(digits);
}

function bytes(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (v >= MIB) return `${(v / MIB).toFixed(2)} MiB`;
  if (v >= 1024) return `${(v / 1024).toFixed(2)} KiB`;
  return `${v.toFixed(0)} B`;
}

/** One-line setup description. */
export function setupLine(s: BenchSetup): string {
  const m = s.mesh;
  return (
    `setup: ${s.cores} cores (${s.cpuModel}), ${(s.memoryBytes / 2 ** 30).toFixed(1)} GiB, node ${s.node} ${s.platform}; ` +
    Object.entries(s.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') +
    '\n' +
    `       server ${s.server}; ${s.nodes} nodes (${s.ads ? 'ADS' : 'per-type streams'}, ${s.connectRate} connections/s` +
    `${s.nackRate ? `, NACK ${s.nackRate}` : ''}${s.slowFraction ? `, ${s.slowFraction * 100}% slow` : ''}); ` +
    `mesh ${m.clusters} clusters × ${m.endpoints} endpoints, ${m.listeners} listeners, ${m.routes} routes (${m.resources} resources, ${bytes(m.configBytes)} JSON); ` +
    `churn ${s.churn} × ${s.rounds} rounds${s.rate ? ` at ${s.rate}/s` : ' (one at a time)'}` +
    `${s.scenario === 'restart' ? ', then the server killed (SIGKILL) and restarted on the same port and config' : ''}` +
    `${s.scenario === 'failover' ? ', then one replica killed (SIGKILL): its nodes move to the others with their versions, then one probe change' : ''}; ` +
    `source ${s.source ?? 'file'}${(s.replicas ?? 1) > 1 ? `, ${s.replicas} replicas` : ''}; commit time: ${s.commitTime}` +
    (s.floor ? `\n       floor: ${s.floor}` : '') +
    (s.gitCommit ? `\n       commit ${s.gitCommit}; host ${s.hostname ?? '?'}, load average ${s.loadAverage ?? '?'} at start` : '') +
    (s.commandLine ? `\n       command: ${s.commandLine}` : '')
  );
}

/** One table row: its label, the figure of a variant, and how to print it. */
export type Row = [label: string, of: (v: VariantResult) => number, fmt: (n: number) => string];

const ROWS: Row[] = [
  ['initial sync: all nodes in sync', (v) => v.initialSync.allInSyncMs / 1000, (n) => `${num(n, 2)} s`],
  ['  after the last connect', (v) => v.initialSync.afterLastConnectMs / 1000, (n) => `${num(n, 2)} s`],
  ['  first full config p50', (v) => v.initialSync.firstFullConfig.p50, (n) => `${num(n)} ms`],
  ['  first full config p99', (v) => v.initialSync.firstFullConfig.p99, (n) => `${num(n)} ms`],
  ['  bytes received per node', (v) => v.initialSync.rxBytesPerNode, bytes],
  ['  messages received per node', (v) => v.initialSync.rxMessagesPerNode, (n) => num(n, 1)],
  ['  server CPU', (v) => v.initialSync.serverCpuSeconds, (n) => `${num(n, 2)} s`],
  ['update latency p50', (v) => v.latency.p50, (n) => `${num(n)} ms`],
  ['  p90', (v) => v.latency.p90, (n) => `${num(n)} ms`],
  ['  p99', (v) => v.latency.p99, (n) => `${num(n)} ms`],
  ['  p99.9', (v) => v.latency.p999, (n) => `${num(n)} ms`],
  ['  max', (v) => v.latency.max, (n) => `${num(n)} ms`],
  ['convergence (median of rounds)', (v) => v.convergenceMs.median, (n) => `${num(n)} ms`],
  ['convergence (worst round)', (v) => v.convergenceMs.max, (n) => `${num(n)} ms`],
  ['every change, first → last node: p50', (v) => v.versionConvergence?.spreadMs.p50 ?? NaN, (n) => `${num(n)} ms`],
  ['  worst version', (v) => v.versionConvergence?.spreadMs.max ?? NaN, (n) => `${num(n)} ms`],
  ['  versions tracked', (v) => v.versionConvergence?.versions ?? NaN, (n) => num(n, 0)],
  ['bytes received per node per update', (v) => v.rxBytesPerNodePerUpdate, bytes],
  ['messages per node per update', (v) => v.rxMessagesPerNodePerUpdate, (n) => num(n, 2)],
  ['bytes sent (ACKs) per node per update', (v) => v.txBytesPerNodePerUpdate, bytes],
  ['bytes received in total', (v) => Object.values(v.totals.rx).reduce((a, c) => a + c.bytes, 0), bytes],
  ['server CPU per round', (v) => v.serverCpuSecondsPerRound, (n) => `${num(n, 3)} s`],
  ['loadgen CPU per round', (v) => mean(v.rounds.map((r) => r.loadgenCpuSeconds)), (n) => `${num(n, 3)} s`],
  ['server CPU, whole run', (v) => v.server.cpuSecondsTotal, (n) => `${num(n, 2)} s`],
  ['server RSS idle', (v) => v.server.idleRssBytes, bytes],
  ['server RSS peak, initial sync', (v) => v.server.syncPeakRssBytes, bytes],
  ['  per node above idle', (v) => v.server.rssPerNodeAtSyncBytes, bytes],
  ['server RSS peak, whole run', (v) => v.server.peakRssBytes, bytes],
  ['  per node above idle', (v) => v.server.rssPerNodeBytes, bytes],
  ['nodes failed initial sync', (v) => v.initialSync.failed, (n) => num(n, 0)],
  ['node-rounds timed out', (v) => v.rounds.reduce((a, r) => a + r.timedOut, 0), (n) => num(n, 0)],
  ['NACKs sent', (v) => v.totals.nacks, (n) => num(n, 0)],
  ['loadgen RSS peak', (v) => v.loadgen.peakRssBytes, bytes],
  ['loadgen CPU', (v) => v.loadgen.cpuSeconds, (n) => `${num(n, 1)} s`],
];

/** With `--scenario restart`. */
const RESTART_ROWS: Row[] = [
  ['restart: bytes received per node', (v) => v.restart?.rxBytesPerNode ?? NaN, bytes],
  ['  CDS', (v) => v.restart?.rxBytesPerNodeByType['cds'] ?? NaN, bytes],
  ['  EDS', (v) => v.restart?.rxBytesPerNodeByType['eds'] ?? NaN, bytes],
  ['  LDS', (v) => v.restart?.rxBytesPerNodeByType['lds'] ?? NaN, bytes],
  ['  RDS', (v) => v.restart?.rxBytesPerNodeByType['rds'] ?? NaN, bytes],
  ['  messages received per node', (v) => v.restart?.rxMessagesPerNode ?? NaN, (n) => num(n, 2)],
  ['  bytes sent (requests, retries) per node', (v) => v.restart?.txBytesPerNode ?? NaN, bytes],
  ['  server down (kill → ready)', (v) => (v.restart?.downMs ?? NaN) / 1000, (n) => `${num(n, 2)} s`],
  ['  all streams back after ready', (v) => (v.restart?.reconnectMs ?? NaN) / 1000, (n) => `${num(n, 2)} s`],
  ['  server CPU, ready → quiet', (v) => v.restart?.serverCpuSeconds ?? NaN, (n) => `${num(n, 2)} s`],
  ['  nodes in sync after', (v) => v.restart?.inSyncAfter ?? NaN, (n) => num(n, 0)],
];

/** With `--scenario failover`. */
const FAILOVER_ROWS: Row[] = [
  ['failover: nodes moved', (v) => v.failover?.movedSeen ?? NaN, (n) => num(n, 0)],
  ['  bytes received per moved node', (v) => v.failover?.rxBytesPerMovedNode ?? NaN, bytes],
  ['  CDS', (v) => v.failover?.rxBytesPerMovedNodeByType['cds'] ?? NaN, bytes],
  ['  EDS', (v) => v.failover?.rxBytesPerMovedNodeByType['eds'] ?? NaN, bytes],
  ['  LDS', (v) => v.failover?.rxBytesPerMovedNodeByType['lds'] ?? NaN, bytes],
  ['  RDS', (v) => v.failover?.rxBytesPerMovedNodeByType['rds'] ?? NaN, bytes],
  ['  messages received per moved node', (v) => v.failover?.rxMessagesPerMovedNode ?? NaN, (n) => num(n, 2)],
  ['  bytes sent (requests) per moved node', (v) => v.failover?.txBytesPerMovedNode ?? NaN, bytes],
  ['  kill → all streams on survivors', (v) => (v.failover?.backInSyncMs ?? NaN) / 1000, (n) => `${num(n, 2)} s`],
  ["  survivors' CPU, kill → quiet", (v) => v.failover?.serverCpuSeconds ?? NaN, (n) => `${num(n, 2)} s`],
  ['  probe change: nodes reached', (v) => v.failover?.probe.received ?? NaN, (n) => num(n, 0)],
  ['  probe change: convergence', (v) => v.failover?.probe.convergenceMs ?? NaN, (n) => `${num(n)} ms`],
];

/** The table's rows for these results (the restart and failover rows when any of them has them). */
export function tableRows(results: readonly BenchResult[]): Row[] {
  const restarted = results.some((r) => Object.values(r.variants).some((v) => v?.restart));
  const failedOver = results.some((r) => Object.values(r.variants).some((v) => v?.failover));
  return [...ROWS, ...(restarted ? RESTART_ROWS : []), ...(failedOver ? FAILOVER_ROWS : [])];
}

/** `b / a` as "1.23×", or "-". */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === 0) return '-';
  return `${(b / a).toFixed(2)}×`;
}

export function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** One column of the table: its header, width, and the cell of a row. */
interface Column {
  readonly title: string;
  readonly width: number;
  cell(of: Row[1], fmt: Row[2]): string;
}

function columns(result: BenchResult): Column[] {
  const { sotw, delta } = result.variants;
  const cols: Column[] = [];
  for (const v of [sotw, delta]) {
    if (!v) continue;
    cols.push({ title: v.variant, width: 14, cell: (of, fmt) => fmt(of(v)) });
    const f = result.floor?.[v.variant];
    if (f) {
      cols.push({ title: `${v.variant} floor`, width: 14, cell: (of, fmt) => fmt(of(f)) });
      cols.push({ title: 'ours/floor', width: 12, cell: (of) => ratio(of(f), of(v)) });
    }
  }
  if (sotw && delta) cols.push({ title: 'delta/sotw', width: 12, cell: (of) => ratio(of(sotw), of(delta)) });
  return cols;
}

function roundLines(v: VariantResult, title: string): string[] {
  const out = ['', `${title} rounds (latency from commit, ms):`];
  for (const r of v.rounds) {
    out.push(
      `  #${r.round} ${pad(r.change, 34)} n=${r.received}/${r.expected} p50 ${num(r.latency.p50)} p99 ${num(r.latency.p99)} max ${num(r.latency.max)}` +
        ` conv ${num(r.convergenceMs)} | ${bytes(r.rxBytesPerNode ?? NaN)}/node, ${num(r.rxMessagesPerNode ?? NaN, 2)} msgs/node | CPU server ${num(r.serverCpuSeconds ?? NaN, 2)} s, loadgen ${num(r.loadgenCpuSeconds ?? NaN, 2)} s` +
        `${r.timedOut ? ` | ${r.timedOut} TIMED OUT` : ''}${r.nacked ? ` | ${r.nacked} nacked` : ''}`,
    );
  }
  for (const [reason, n] of Object.entries(v.totals.streamEndReasons)) out.push(`  streams that ended and were reopened: ${n}× ${reason}`);
  for (const [counter, n] of Object.entries(v.serverCounters ?? {})) if (n > 0) out.push(`  server closed or refused on its own: ${n}× ${counter}`);
  if (v.serverLogs?.length) out.push(`  server log: ${v.serverLogs.join(', ')}`);
  if (v.error) out.push(`  ERROR: ${v.error}`);
  return out;
}

/** The side-by-side table (and per-round lines) as text. */
export function formatReport(result: BenchResult): string {
  const out: string[] = [setupLine(result.setup), ''];
  const sotw = result.variants.sotw;
  const delta = result.variants.delta;
  const cols = columns(result);
  out.push(pad('metric', 40) + cols.map((c) => pad(c.title, c.width, true)).join(''));
  out.push('-'.repeat(40 + cols.reduce((a, c) => a + c.width, 0)));
  for (const [label, of, fmt] of tableRows([result])) {
    out.push(pad(label, 40) + cols.map((c) => pad(c.cell(of, fmt), c.width, true)).join(''));
  }
  for (const v of [sotw, delta]) {
    if (!v) continue;
    out.push(...roundLines(v, v.variant));
    const f = result.floor?.[v.variant];
    if (f) out.push(...roundLines(f, `${v.variant} floor`));
  }
  if (result.thresholds.length) {
    out.push('', 'thresholds:');
    for (const t of result.thresholds) out.push(`  ${describeThreshold(t)}`);
  }
  return out.join('\n') + '\n';
}

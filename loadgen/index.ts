/**
 * @module loadgen
 * `npm run loadgen -- --target host:port --nodes N --variant sotw|delta`:
 * a fleet of Envoy-like nodes against any xDS server. It prints a live
 * progress line on stderr and, when it ends (all in sync with
 * `--until-synced`, after `--duration`, or on Ctrl-C), a summary: time to
 * first full config, latency of every stamped change it saw
 * (see {@link ./stamp}), wire bytes and messages.
 *
 * Also the import point for the bench: {@link Fleet} and friends.
 */
import * as fs from 'node:fs';
import { Args, UsageError } from './args';
import { AUTO_NODES_PER_PROCESS, FLEET_DEFAULTS, Fleet, autoProcesses } from './fleet';
import type { FleetSnapshot } from './fleet';
import { histogramOf } from './latency';
import type { LatencySummary } from './latency';
import type { ConvergenceSummary } from './convergence';
import { totalOf } from './messages';
import type { FleetOptions, Variant } from './messages';
import { parseTlsOptions } from './tls';
import type { TlsOptions } from './tls';

export { Fleet, FLEET_DEFAULTS } from './fleet';
export type { FleetSnapshot, ProcessShare, RoundReceipts } from './fleet';
export type { FleetOptions, Variant, WorkerCounters, WireCount } from './messages';
export { totalOf, shortTypeName } from './messages';
export { LatencyHistogram, histogramOf } from './latency';
export type { ConvergenceSummary } from './convergence';
export type { LatencySummary, Distribution } from './latency';
export { formatStamp, nowMicros, findStamps } from './stamp';
export type { Stamp } from './stamp';
export { Args, UsageError } from './args';

const AUTO_NODES_PER_PROCESS_TEXT = AUTO_NODES_PER_PROCESS.toLocaleString('en-US');

const USAGE = `usage: npm run loadgen -- --target host:port[,host:port…] [options]
  --target A,B,…            several servers (replicas): node i starts on the (i mod n)-th
                            and moves to the next one whenever a stream ends
  --nodes N                 simulated Envoys, one TCP connection + stream each (default 100)
  --variant sotw|delta      protocol variant (default delta)
  --ads | --per-type        one ADS stream per node (default) or one stream per type
  --node-id-prefix P        node ids are P0, P1, ... (default node-)
  --cluster C               node.cluster (default loadgen)
  --nack-rate F             NACK this fraction of responses (default 0)
  --connect-rate R          new connections per second (default 1000)
  --slow-fraction F         this fraction of nodes stops reading after its first full config
  --workers W               worker threads over all processes (default: one per core)
  --processes N|auto        OS processes the nodes are spread over, node i in process i mod N
                            (default 1; auto: one per ${AUTO_NODES_PER_PROCESS_TEXT} nodes, since each process
                            holds one file descriptor per node under the per-process open-file limit)
  --initial-fetch-timeout-ms MS  LDS starts after cluster warm-up or this long (default 15000)
  --until-synced            exit once every node holds a full config
  --duration S              exit after S seconds (default: run until Ctrl-C)
  --json FILE               also write the summary as JSON
 TLS (default plaintext; any of these turns TLS on)
  --cacert FILE             trust this CA (PEM) for the server's certificate (default: the system's roots)
  --cert FILE --key FILE    present this client certificate and key (PEM): mTLS
  --insecure                TLS without verifying the server's certificate (testing only)`;

/**
 * `--<name> N|auto`: how many loadgen processes (1 when absent); `auto` is
 * resolved per run with {@link loadgenProcessesFor}. Shared with the
 * bench's `--loadgen-processes`.
 */
export function parseProcessesFlag(args: Args, name: string): number | 'auto' {
  const raw = args.string(name);
  if (raw === undefined) return 1;
  if (raw === 'auto') return 'auto';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--${name} must be auto or a whole number in [1, 64], got ${raw}`);
  return n;
}

/** The process count for a fleet of `nodes`: `auto` holds at most {@link AUTO_NODES_PER_PROCESS} nodes per process. */
export function loadgenProcessesFor(value: number | 'auto', nodes: number): number {
  return value === 'auto' ? autoProcesses(nodes) : value;
}

function withTls(tls: TlsOptions | undefined): { tls?: TlsOptions } {
  return tls ? { tls } : {};
}

/** Parse loadgen flags into fleet options. */
export function parseFleetOptions(args: Args): FleetOptions {
  const target = args.string('target');
  if (!target || !/^[^:,]+:\d+(,[^:,]+:\d+)*$/.test(target)) throw new UsageError('--target host:port[,host:port…] is required');
  const ads = !args.flag('per-type');
  args.flag('ads');
  const nodes = args.number('nodes', 100, 1, 1_000_000);
  return {
    target,
    nodes,
    variant: args.choice<Variant>('variant', ['sotw', 'delta'], 'delta'),
    ads,
    nodeIdPrefix: args.string('node-id-prefix') ?? FLEET_DEFAULTS.nodeIdPrefix,
    cluster: args.string('cluster') ?? FLEET_DEFAULTS.cluster,
    nackRate: args.number('nack-rate', 0, 0, 1),
    connectRate: args.number('connect-rate', FLEET_DEFAULTS.connectRate, 0.001),
    slowFraction: args.number('slow-fraction', 0, 0, 1),
    workers: args.number('workers', 0, 0, 64),
    processes: loadgenProcessesFor(parseProcessesFlag(args, 'processes'), nodes),
    initialFetchTimeoutMs: args.number('initial-fetch-timeout-ms', FLEET_DEFAULTS.initialFetchTimeoutMs, 0),
    ...withTls(parseTlsOptions(args)),
  };
}

/** Human-readable bytes. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** One progress line for stderr. */
export function progressLine(label: string, elapsedMs: number, snap: FleetSnapshot, total: number, extra = ''): string {
  const rx = totalOf(snap.counters.rx);
  const n = snap.nodes;
  return (
    `[${label}] ${(elapsedMs / 1000).toFixed(1)}s started ${n.started}/${total} connected ${n.connected} in sync ${n.inSync}` +
    ` | rx ${formatBytes(rx.bytes)} ${rx.messages} msgs | acks ${snap.counters.acks} nacks ${snap.counters.nacks}` +
    (snap.counters.streamsEnded ? ` | stream ends ${snap.counters.streamsEnded}` : '') +
    extra
  );
}

function fmt(s: LatencySummary): string {
  return `n=${s.count} p50 ${s.p50} p90 ${s.p90} p99 ${s.p99} p99.9 ${s.p999} max ${s.max} ms`;
}

/** The convergence part of the summary: every new resource version, not only the bench's stamps. */
function convergenceLines(c: ConvergenceSummary): string {
  if (c.versions === 0) return `  changes: no new resource version reached a node after its first full config${c.untrackedReceipts ? ` (${c.untrackedReceipts} receipts untracked)` : ''}\n`;
  let text =
    `  changes: ${c.versions} new resource versions; first → last node per version ${fmt(c.spreadMs)}\n` +
    `    each node's receipt after the first node's ${fmt(c.afterFirstMs)}` +
    (c.untrackedReceipts ? `; ${c.untrackedReceipts} receipts untracked (too many versions at once)` : '') +
    '\n';
  for (const v of c.slowest.slice(0, 5)) text += `    ${v.key}: ${v.nodes} nodes, first → last ${v.spreadMs.toFixed(3)} ms\n`;
  return text;
}

async function main(argv: string[]): Promise<number> {
  let options: FleetOptions;
  let untilSynced: boolean;
  let durationS: number;
  let jsonPath: string | undefined;
  try {
    const args = new Args(argv, ['ads', 'per-type', 'until-synced', 'help', 'insecure']);
    if (args.flag('help')) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    options = parseFleetOptions(args);
    untilSynced = args.flag('until-synced');
    durationS = args.number('duration', 0, 0);
    jsonPath = args.string('json');
    args.rejectUnknown();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }

  const t0 = Date.now();
  const fleet = Fleet.start(options);
  const tty = process.stderr.isTTY;
  const progress = setInterval(
    () => {
      const line = progressLine(`loadgen ${options.variant}`, Date.now() - t0, fleet.snapshot(), options.nodes);
      process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    },
    tty ? 500 : 2000,
  );
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const onSignal = (): void => stopRequested();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const waits: Promise<unknown>[] = [stopped];
  if (durationS > 0) waits.push(new Promise((r) => setTimeout(r, durationS * 1000)));
  if (untilSynced) waits.push(fleet.waitFor(() => fleet.snapshot().nodes.everSynced >= options.nodes, 24 * 3600 * 1000));
  await Promise.race(waits);
  clearInterval(progress);
  const snap = await fleet.stop();
  if (tty) process.stderr.write('\n');

  const syncHist = histogramOf(fleet.syncedAt, fleet.startedAt);
  const lastSync = Math.max(...Array.from(fleet.syncedAt).filter((v) => !Number.isNaN(v)), 0);
  const rounds = fleet.rounds().map((r) => ({
    round: r.round,
    received: r.received,
    nacked: r.nackedCount,
    latencyFromStampMs: histogramOf(r.at, r.stampMicros).summary(),
  }));
  const rx = totalOf(snap.counters.rx);
  const tx = totalOf(snap.counters.tx);
  const { tls, ...shown } = options;
  const summary = {
    // The real thread count (0 in the options means one per core), and TLS without the PEM text.
    options: { ...shown, workers: snap.workers, tls: tls ? { ca: tls.caPem !== undefined, clientCertificate: tls.certPem !== undefined, verifyServer: tls.verifyServer } : false },
    workers: snap.workers,
    // Per OS process: nodes it ran, how many of them reached a full config.
    processes: snap.processes.map((p) => ({ nodes: p.nodes, everSynced: p.everSynced })),
    nodes: snap.nodes,
    firstFullConfigMs: syncHist.summary(),
    allInSyncAfterStartMs: snap.nodes.everSynced === options.nodes ? (lastSync - t0 * 1000) / 1000 : null,
    rounds,
    rx: snap.counters.rx,
    tx: snap.counters.tx,
    rxBytesPerNode: rx.bytes / options.nodes,
    rxMessagesPerNode: rx.messages / options.nodes,
    txBytesPerNode: tx.bytes / options.nodes,
    acks: snap.counters.acks,
    nacks: snap.counters.nacks,
    streamsOpened: snap.counters.streamsOpened,
    streamsEnded: snap.counters.streamsEnded,
    lastStreamError: snap.counters.lastError,
    streamEndReasons: snap.counters.endReasons,
    versionConvergence: fleet.convergence.summary(),
  };
  const out = process.stdout;
  out.write(
    `loadgen ${options.variant} ${options.ads ? 'ADS' : 'per-type'} → ${options.target}, ${options.nodes} nodes, ${snap.workers} workers` +
      (snap.processes.length > 1 ? ` in ${snap.processes.length} processes (nodes each: ${snap.processes.map((p) => p.nodes).join(', ')})` : '') +
      '\n',
  );
  out.write(`  full config: ${snap.nodes.everSynced}/${options.nodes} nodes; time to first full config ${fmt(summary.firstFullConfigMs)}\n`);
  for (const r of rounds) out.write(`  stamp round ${r.round}: received by ${r.received} (nacked ${r.nacked}); latency from stamp ${fmt(r.latencyFromStampMs)}\n`);
  out.write(
    `  rx ${formatBytes(rx.bytes)} in ${rx.messages} msgs (${formatBytes(summary.rxBytesPerNode)}/node), tx ${formatBytes(tx.bytes)} in ${tx.messages} msgs; acks ${snap.counters.acks} nacks ${snap.counters.nacks}; streams opened ${snap.counters.streamsOpened} ended ${snap.counters.streamsEnded}\n`,
  );
  out.write(convergenceLines(summary.versionConvergence));
  for (const [reason, n] of Object.entries(snap.counters.endReasons)) out.write(`  streams ended ${n}× with: ${reason}\n`);
  if (jsonPath) fs.writeFileSync(jsonPath, JSON.stringify(summary, null, 2));
  return snap.nodes.everSynced === options.nodes || !untilSynced ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * @module bench/variant-run
 * One protocol variant, start to finish: write the mesh (config file, or a
 * real etcd with `--source etcd`), start the server (ours as child
 * processes, `--replicas` of them, or use `--target`), start the fleet, wait for
 * every node's first full config, run the update rounds, and collect what
 * it cost on both sides. Both variants run this same code on a freshly
 * generated, identical mesh and a fresh server, so they are comparable.
 */
import * as path from 'node:path';
import { Fleet, histogramOf, LatencyHistogram, loadgenProcessesFor, totalOf } from '../loadgen/index';
import type { FleetSnapshot, Variant } from '../loadgen/index';
import { LoadgenSampler, ProcessSampler } from './measure';
import type { BenchOptions } from './options';
import { ProgressLine } from './progress';
import type { FailoverResult, InitialSyncResult, RestartResult, RoundResult, ServerCost, VariantResult } from './result';
import { etcdSink, fileSink } from './config-sink';
import type { ConfigSink } from './config-sink';
import { runFailover } from './failover';
import { runRestart } from './restart';
import { listenHostFor, loopbackAddressesFor, spreadTargets } from './loopback';
import { runRounds } from './rounds';
import { Mesh } from './scenarios';
import { ServerProcess } from './server-process';
import { TimelineSampler } from './timeline';

/** The floor server's entry point (bench/floor/main.ts): same flags and log lines as ours. */
export const FLOOR_MAIN = path.join(__dirname, 'floor', 'main.js');

/** Which server a variant run measures: ours (or `--target`), or the floor on the identical scenario. */
export type ServerKind = 'ours' | 'floor';

/** Wait before measuring the idle server, in ms. */
const IDLE_SETTLE_MS = 1_000;
/** Wait for an external server to pick up a rewritten config file, in ms. */
const EXTERNAL_RELOAD_WAIT_MS = 2_000;
/** How often the loadgen's own RSS is sampled, in ms. */
const SELF_SAMPLE_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function finiteMax(values: Float64Array): number {
  let m = NaN;
  for (const v of values) if (!Number.isNaN(v) && !(v <= m)) m = v;
  return m;
}

function finiteMin(values: Float64Array): number {
  let m = NaN;
  for (const v of values) if (!Number.isNaN(v) && v > 0 && !(v >= m)) m = v;
  return m;
}

function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

function mean(values: (number | null)[]): number {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/**
 * Wait until every node has a full config, the server dies, `--sync-timeout`
 * passes, or for `--sync-stall-timeout` after all started no node has synced
 * and no bytes arrived (e.g. nodes that NACKed their first CDS wait for a
 * change that never comes). Bytes still arriving count as progress: on a
 * loaded machine every node can be part-way through its config for longer
 * than that before the first one completes.
 */
async function waitForSync(fleet: Fleet, opts: BenchOptions, serverGone: () => boolean): Promise<void> {
  const deadline = Date.now() + opts.syncTimeoutMs;
  let lastCount = -1;
  let lastRxBytes = -1;
  let lastChange = Date.now();
  const done = (): boolean => fleet.snapshot().nodes.everSynced >= opts.nodes || serverGone();
  while (!done() && Date.now() < deadline) {
    await fleet.waitFor(done, Math.min(1_000, Math.max(1, deadline - Date.now())));
    const snap = fleet.snapshot();
    const n = snap.nodes;
    const rxBytes = totalOf(snap.counters.rx).bytes;
    if (n.everSynced !== lastCount || rxBytes !== lastRxBytes) {
      lastCount = n.everSynced;
      lastRxBytes = rxBytes;
      lastChange = Date.now();
    } else if (n.started >= opts.nodes && Date.now() - lastChange > opts.syncStallMs) {
      return;
    }
  }
}

/**
 * Run one variant against `kind` of server; never throws for a failed run
 * (the result says why). The floor always runs as our child process, on its
 * own copy of the mesh, even when ours is an external `--target`.
 */
export async function runVariant(variant: Variant, opts: BenchOptions, workDir: string, kind: ServerKind = 'ours', logBase?: string): Promise<VariantResult> {
  const began = Date.now();
  const mesh = new Mesh(opts.mesh);
  const external = kind === 'ours' && opts.target !== undefined;
  const label = kind === 'floor' ? `${variant} floor` : variant;
  const configFile = (external ? opts.configFile : undefined) ?? path.join(workDir, `mesh-${kind === 'floor' ? 'floor-' : ''}${variant}.json`);
  const sink: ConfigSink = kind === 'ours' && !external && opts.source === 'etcd' ? await etcdSink(workDir, `/fanout-bench-${variant}/`) : fileSink(configFile, configFile !== opts.configFile);
  await sink.write(mesh);
  let servers: ServerProcess[] = [];
  /** Where each server child's output is kept (basenames in the result), when the caller gives a `logBase`. */
  const logFiles: string[] = [];
  const logFile = (name: string): string | undefined => {
    if (logBase === undefined) return undefined;
    const file = `${logBase}-${name}.log`;
    logFiles.push(path.basename(file));
    return file;
  };
  // Over ~22,000 nodes on one server port the loopback source ports run out: spread them over 127.0.0.x.
  const addresses = opts.loopbackAddresses === 'auto' ? loopbackAddressesFor(Math.ceil(opts.nodes / (kind === 'floor' ? 1 : opts.replicas))) : opts.loopbackAddresses;
  const host = listenHostFor(addresses);
  if (kind === 'floor') {
    // The floor logs nothing per stream, so info costs it nothing and gives the commit times.
    servers = [await ServerProcess.start(configFile, { logLevel: 'info', script: FLOOR_MAIN, nodeArgs: opts.floorNodeArgs, host, logFile: logFile(`floor-${variant}`) })];
  } else if (!external) {
    for (let i = 0; i < opts.replicas; i++)
      servers.push(
        await ServerProcess.start(sink.serverArgs, {
          logLevel: opts.serverLogLevel,
          extraArgs: opts.serverArgs,
          nodeArgs: opts.serverNodeArgs,
          env: opts.serverEnv,
          host,
          watchLoopDelay: opts.serverLoopDelay,
          logFile: logFile(`server-${variant}-${i}`),
        }),
      );
  } else if (opts.configFile) {
    await sleep(EXTERNAL_RELOAD_WAIT_MS);
  }
  /** The one server of a single-process run (the restart scenario replaces it). */
  let server: ServerProcess | undefined = servers[0];
  const target = servers.length
    ? spreadTargets(
        servers.map((s) => s.port),
        addresses,
      )
    : (opts.target as string);
  if (addresses > 1) process.stderr.write(`[bench ${label}] ${opts.nodes} nodes: servers listen on ${host}, nodes connect to 127.0.0.1–127.0.0.${addresses} (bench/loopback)\n`);
  const pids = servers.length ? servers.map((s) => s.pid) : external && opts.serverPid ? [opts.serverPid] : [];
  let sampler = pids.length ? new ProcessSampler(pids) : undefined;
  await sleep(IDLE_SETTLE_MS);
  const idle = sampler?.sample();

  const fleetStartMs = Date.now();
  const fleet = Fleet.start({
    target,
    nodes: opts.nodes,
    variant,
    ads: opts.ads,
    nodeIdPrefix: `${variant}-node-`,
    cluster: 'bench',
    nackRate: opts.nackRate,
    connectRate: opts.connectRate,
    slowFraction: opts.slowFraction,
    initialFetchTimeoutMs: 15_000,
    workers: opts.workers,
    processes: loadgenProcessesFor(opts.loadgenProcesses, opts.nodes),
  });
  const loadgenSampler = new LoadgenSampler(fleet.childPids, SELF_SAMPLE_MS);
  const self0 = loadgenSampler.sample();
  const timelineSampler = new TimelineSampler({
    startMs: fleetStartMs,
    fleet: () => fleet.snapshot(),
    server: () => sampler?.last,
    loopDelayMs: () => server?.loopDelayMs ?? NaN,
  });
  let phase = 'initial sync';
  const progress = new ProgressLine(() => {
    const n = fleet.snapshot().nodes;
    const rx = totalOf(fleet.snapshot().counters.rx);
    return (
      `[bench ${label}] ${((Date.now() - fleetStartMs) / 1000).toFixed(1)}s ${phase} | started ${n.started}/${opts.nodes} connected ${n.connected} in sync ${n.inSync}` +
      `${n.slow ? ` slow ${n.slow}` : ''} | rx ${(rx.bytes / 1048576).toFixed(1)} MiB`
    );
  }, opts.quiet);

  let error: string | undefined;
  const rounds: RoundResult[] = [];
  let initialSync: InitialSyncResult | undefined;
  let serverCpuAtSync = NaN;
  let syncPeakRss = NaN;
  /** Server RSS with the fleet connected and quiet, after the sync and --settle-ms. */
  let connectedRss = NaN;
  let restart: RestartResult | undefined;
  let failover: FailoverResult | undefined;
  /** With a restart: the killed process's CPU seconds over its life and its peak RSS. */
  let killed = { cpuSeconds: 0, peakRssBytes: NaN };
  try {
    const gone = (): ServerProcess | undefined => servers.find((s) => s.exitInfo !== undefined);
    await waitForSync(fleet, opts, () => gone() !== undefined);
    const died = gone();
    if (died) throw new Error(`server ${died.exitInfo} during initial sync:\n${died.logTail()}`);
    const syncEnd = sampler?.sample();
    serverCpuAtSync = syncEnd?.cpuSeconds ?? NaN;
    phase = 'settling';
    await sleep(opts.settleMs);
    connectedRss = sampler?.sample()?.rssBytes ?? NaN;
    const afterSync = fleet.snapshot();
    initialSync = initialSyncOf(fleet, afterSync, opts.nodes, serverCpuAtSync - (idle?.cpuSeconds ?? NaN));
    syncPeakRss = sampler ? sampler.peakRssSince(fleetStartMs) : NaN;
    progress.note(
      `[bench ${label}] initial sync: ${initialSync.synced}/${opts.nodes} nodes in ${(initialSync.allInSyncMs / 1000).toFixed(2)} s` +
        `, ${(initialSync.rxBytesPerNode / 1024).toFixed(1)} KiB/node` +
        (afterSync.processes.length > 1 ? `; synced per loadgen process ${afterSync.processes.map((p) => `${p.everSynced}/${p.nodes}`).join(', ')}` : ''),
    );
    if (initialSync.failed > 0) {
      const nacked = afterSync.counters.nacks > 0 ? `; ${afterSync.counters.nacks} NACKs sent` : '';
      error = `${initialSync.failed} nodes had no full config (sync timeout ${opts.syncTimeoutMs / 1000} s, or ${opts.syncStallMs / 1000} s without progress (--sync-stall-timeout)${nacked}; last stream error: ${afterSync.counters.lastError || 'none'})`;
    }

    const canChange = !external || opts.configFile !== undefined;
    if (opts.rounds > 0 && !canChange) progress.note(`[bench ${label}] no --config-file for the external target: update rounds skipped`);
    const roundsContext = {
      opts,
      mesh,
      sink,
      fleet,
      servers,
      sampler,
      setPhase: (p: string) => (phase = p),
      note: (m: string) => progress.note(`[bench ${label}] ${m}`),
      externalWaitMs: EXTERNAL_RELOAD_WAIT_MS,
    };
    if (opts.rounds > 0 && initialSync.synced === 0) progress.note(`[bench ${label}] no node reached a full config: update rounds skipped`);
    else if (opts.rounds > 0 && canChange) {
      rounds.push(...(await runRounds(roundsContext)));
      const bad = rounds.find((r) => r.timedOut > 0);
      if (bad && !error) error = `round ${bad.round}: ${bad.timedOut} nodes never received the change within ${opts.roundTimeoutMs / 1000} s`;
    }
    if (opts.scenario === 'restart' && kind === 'floor') progress.note(`[bench ${label}] the floor server is not restarted (it keeps no versions)`);
    else if (opts.scenario === 'restart' && server && initialSync.synced > 0) {
      const out = await runRestart({
        opts,
        sourceArgs: sink.serverArgs,
        fleet,
        server,
        sampler,
        logFile: logFile(`server-${variant}-0-restarted`),
        setPhase: (p) => (phase = p),
        note: (m) => progress.note(`[bench ${label}] ${m}`),
      });
      ({ server, sampler, result: restart } = out);
      servers = [server];
      killed = { cpuSeconds: out.killedCpuSeconds - (idle?.cpuSeconds ?? NaN), peakRssBytes: out.killedPeakRssBytes };
      if (Number.isNaN(restart.reconnectMs) && !error) error = `after the restart not every stream reconnected within ${opts.syncTimeoutMs / 1000} s`;
    } else if (opts.scenario === 'failover' && kind === 'ours' && servers.length > 1 && initialSync.synced > 0) {
      failover = await runFailover(roundsContext);
      if (Number.isNaN(failover.backInSyncMs) && !error) error = `after the failover not every stream was open on the surviving replicas within ${opts.syncTimeoutMs / 1000} s`;
      else if (failover.probe.received < failover.probe.expected && !error) error = `after the failover the probe change reached ${failover.probe.received}/${failover.probe.expected} nodes`;
    }
  } catch (err) {
    error = (err as Error).message;
  } finally {
    progress.stop();
  }

  const beforeStop = sampler?.sample();
  const timeline = timelineSampler.stop();
  const selfEnd = loadgenSampler.sample();
  const serverCounters = sumCounters(await Promise.all(servers.map((s) => s.serverCounters())));
  const final = await fleet.stop();
  loadgenSampler.stop();
  await Promise.all(servers.map((s) => s.stop()));
  sampler?.stop();
  await sink.close();

  const all = new LatencyHistogram();
  for (const r of fleet.rounds()) {
    const rr = rounds.find((x) => x.round === r.round);
    if (rr) all.add(histogramOf(r.at, rr.commitAtMs * 1000));
  }
  const idleRss = idle?.rssBytes ?? NaN;
  const peakRss = restart ? Math.max(killed.peakRssBytes, sampler?.peakRssSince(0) ?? NaN) : sampler ? sampler.peakRssSince(fleetStartMs) : NaN;
  const inSync = Math.max(1, final.nodes.everSynced);
  const serverCost: ServerCost = {
    idleRssBytes: idleRss,
    peakRssBytes: peakRss,
    vmHwmBytes: beforeStop?.peakRssBytes ?? NaN,
    rssPerNodeBytes: (peakRss - idleRss) / inSync,
    syncPeakRssBytes: syncPeakRss,
    rssPerNodeAtSyncBytes: (syncPeakRss - idleRss) / inSync,
    connectedRssBytes: connectedRss,
    rssPerNodeConnectedBytes: initialSync && initialSync.synced > 0 ? (connectedRss - idleRss) / initialSync.synced : NaN,
    // After a restart: the killed process's share (from idle) plus the whole life of the new one, config load included.
    cpuSecondsTotal: restart ? killed.cpuSeconds + (beforeStop?.cpuSeconds ?? NaN) : (beforeStop?.cpuSeconds ?? NaN) - (idle?.cpuSeconds ?? NaN),
  };
  return {
    variant,
    ok: error === undefined,
    ...(error === undefined ? {} : { error }),
    initialSync: initialSync ?? initialSyncOf(fleet, final, opts.nodes, serverCpuAtSync - (idle?.cpuSeconds ?? NaN)),
    rounds,
    latency: all.summary(),
    latencyDistribution: all.distribution(),
    convergenceMs: { median: median(rounds.map((r) => r.convergenceMs)), max: rounds.reduce((m, r) => (Number.isFinite(r.convergenceMs) && !(r.convergenceMs <= m) ? r.convergenceMs : m), NaN) },
    rxBytesPerNodePerUpdate: mean(rounds.map((r) => r.rxBytesPerNode)),
    rxMessagesPerNodePerUpdate: mean(rounds.map((r) => r.rxMessagesPerNode)),
    txBytesPerNodePerUpdate: mean(rounds.map((r) => r.txBytesPerNode)),
    serverCpuSecondsPerRound: mean(rounds.map((r) => r.serverCpuSeconds)),
    ...(restart ? { restart } : {}),
    ...(failover ? { failover } : {}),
    totals: {
      rx: final.counters.rx,
      tx: final.counters.tx,
      acks: final.counters.acks,
      nacks: final.counters.nacks,
      streamsOpened: final.counters.streamsOpened,
      streamsEnded: final.counters.streamsEnded,
      decodes: final.counters.decodes,
      streamEndReasons: final.counters.endReasons,
    },
    server: serverCost,
    ...(serverCounters ? { serverCounters } : {}),
    ...(logFiles.length ? { serverLogs: logFiles } : {}),
    loadgen: {
      peakRssBytes: loadgenSampler.peakRssBytes,
      cpuSeconds: selfEnd.cpuSeconds - self0.cpuSeconds,
      workers: final.workers,
      processes: final.processes.map((p) => ({ nodes: p.nodes, everSynced: p.everSynced, peakRssBytes: loadgenSampler.peakRssOf(p.pid) })),
    },
    durationMs: Date.now() - began,
    timeline,
    versionConvergence: fleet.convergence.summary(),
  };
}

/** Counters of several servers added up by name and labels; undefined when none answered. */
function sumCounters(each: readonly (Record<string, number> | undefined)[]): Record<string, number> | undefined {
  const answered = each.filter((c): c is Record<string, number> => c !== undefined);
  if (!answered.length) return undefined;
  const sum: Record<string, number> = {};
  for (const c of answered) for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

function initialSyncOf(fleet: Fleet, snap: FleetSnapshot, nodes: number, serverCpuSeconds: number): InitialSyncResult {
  const firstStart = finiteMin(fleet.startedAt);
  const lastSync = finiteMax(fleet.syncedAt);
  const synced = snap.nodes.everSynced;
  const rx = totalOf(snap.counters.rx);
  const tx = totalOf(snap.counters.tx);
  return {
    firstFullConfig: histogramOf(fleet.syncedAt, fleet.startedAt).summary(),
    allInSyncMs: synced >= nodes ? (lastSync - firstStart) / 1000 : NaN,
    afterLastConnectMs: synced >= nodes ? (lastSync - finiteMax(fleet.startedAt)) / 1000 : NaN,
    synced,
    failed: nodes - synced,
    rxBytesPerNode: rx.bytes / Math.max(1, synced),
    rxMessagesPerNode: rx.messages / Math.max(1, synced),
    txBytesPerNode: tx.bytes / Math.max(1, synced),
    serverCpuSeconds,
  };
}

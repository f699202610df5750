/**
 * @module bench/restart
 * `--scenario restart`: after the update rounds the server crashes (SIGKILL)
 * and a new process starts on the same port and the same config file, as a
 * replica restart or a failover to a replica on the same config would look
 * to the fleet. Every node reconnects on its own jittered backoff and asks
 * for what it holds (SotW: its last accepted version per type; delta:
 * `initial_resource_versions`). Nothing changed, so ideally nothing is
 * resent: the figures say what each reconnecting node was actually sent.
 */
import { totalOf } from '../loadgen/index';
import type { Fleet } from '../loadgen/index';
import { ProcessSampler } from './measure';
import type { BenchOptions } from './options';
import type { RestartResult } from './result';
import { ServerProcess } from './server-process';

/** Without the server's log: the fleet's streams must stay up this long to count as reconnected, in ms. */
const STREAMS_STABLE_MS = 2_000;
/** How often the fleet is checked when the server's log cannot tell, in ms. */
const POLL_MS = 100;

/** What the restart needs from the variant run. */
export interface RestartContext {
  readonly opts: BenchOptions;
  /** The server's source flags (`--config FILE`, or the etcd flags). */
  readonly sourceArgs: readonly string[];
  readonly fleet: Fleet;
  readonly server: ServerProcess;
  readonly sampler: ProcessSampler | undefined;
  /** Where the restarted server's output is kept. */
  readonly logFile?: string;
  setPhase(phase: string): void;
  note(message: string): void;
}

/** The restarted server (the caller owns it from now on) and what the restart cost. */
export interface RestartOutcome {
  readonly result: RestartResult;
  readonly server: ServerProcess;
  readonly sampler: ProcessSampler;
  /** CPU seconds of the killed process over its life (last sample before the kill). */
  readonly killedCpuSeconds: number;
  /** Its highest RSS sampled. */
  readonly killedPeakRssBytes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function logCountsStreams(level: string): boolean {
  return level === 'info' || level === 'debug' || level === 'trace';
}

/** Wait until the fleet has `streams` streams open and none ended for {@link STREAMS_STABLE_MS}. */
export async function fleetStable(fleet: Fleet, streams: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let ended = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const c = fleet.snapshot().counters;
    if (c.streamsEnded !== ended) {
      ended = c.streamsEnded;
      since = Date.now();
    } else if (c.streamsOpened - c.streamsEnded >= streams && Date.now() - since >= STREAMS_STABLE_MS) {
      return true;
    }
    await sleep(POLL_MS);
  }
  return false;
}

/** Crash the server, restart it on the same port and config, and measure the fleet's reconnect. */
export async function runRestart(ctx: RestartContext): Promise<RestartOutcome> {
  const { opts, fleet } = ctx;
  const before = fleet.snapshot();
  const streams = before.counters.streamsOpened - before.counters.streamsEnded;
  const nodes = Math.max(1, before.nodes.connected);
  const last = ctx.sampler?.sample();
  const killedCpuSeconds = last?.cpuSeconds ?? NaN;
  const killedPeakRssBytes = ctx.sampler?.peakRssSince(0) ?? NaN;
  ctx.sampler?.stop();

  ctx.setPhase('restart: killing the server');
  const killedAt = Date.now();
  await ctx.server.crash();
  ctx.setPhase('restart: starting it again on the same port and config');
  const server = await ServerProcess.start(ctx.sourceArgs, {
    logLevel: opts.serverLogLevel,
    extraArgs: opts.serverArgs,
    nodeArgs: opts.serverNodeArgs,
    env: opts.serverEnv,
    port: ctx.server.port,
    host: ctx.server.host,
    watchLoopDelay: opts.serverLoopDelay,
    logFile: ctx.logFile,
  });
  const sampler = new ProcessSampler(server.pid);
  const cpuAtReady = sampler.sample()?.cpuSeconds ?? NaN;

  ctx.setPhase(`restart: waiting for ${streams} streams to reconnect`);
  const fromLog = logCountsStreams(opts.serverLogLevel);
  const back = fromLog ? await server.waitOpenStreams(streams, opts.syncTimeoutMs) : await fleetStable(fleet, streams, opts.syncTimeoutMs);
  const reconnectedAt = Date.now();
  if (!back) ctx.note(`restart: not every stream came back within ${opts.syncTimeoutMs / 1000} s`);
  if (server.exitInfo) throw new Error(`restarted server ${server.exitInfo}:\n${server.logTail()}`);
  ctx.setPhase('restart: settling');
  await sleep(opts.settleMs);
  const after = fleet.snapshot();
  const cpuEnd = sampler.sample()?.cpuSeconds ?? NaN;

  const rxByType: Record<string, number> = {};
  for (const [type, c] of Object.entries(after.counters.rx)) rxByType[type] = (c.bytes - (before.counters.rx[type]?.bytes ?? 0)) / nodes;
  const rx0 = totalOf(before.counters.rx);
  const rx1 = totalOf(after.counters.rx);
  const result: RestartResult = {
    nodes,
    streamsReopened: fromLog ? server.streamsOpened : NaN,
    downMs: server.readyAt - killedAt,
    reconnectMs: back ? reconnectedAt - server.readyAt : NaN,
    rxBytesPerNode: (rx1.bytes - rx0.bytes) / nodes,
    rxMessagesPerNode: (rx1.messages - rx0.messages) / nodes,
    rxBytesPerNodeByType: rxByType,
    txBytesPerNode: (totalOf(after.counters.tx).bytes - totalOf(before.counters.tx).bytes) / nodes,
    serverCpuSeconds: cpuEnd - cpuAtReady,
    inSyncAfter: after.nodes.inSync,
  };
  ctx.note(
    `restart: down ${(result.downMs / 1000).toFixed(2)} s, all ${streams} streams back ${(result.reconnectMs / 1000).toFixed(2)} s after ready; ` +
      `${result.rxBytesPerNode.toFixed(0)} B and ${result.rxMessagesPerNode.toFixed(2)} messages received per node; ${result.inSyncAfter} nodes in sync`,
  );
  return { result, server, sampler, killedCpuSeconds, killedPeakRssBytes };
}

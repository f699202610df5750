/**
 * @module bench/rounds
 * The update rounds of one variant. Each round changes the mesh (with a
 * latency stamp), writes it (config file, or etcd through the project's
 * apply), finds the commit time (etcd: the transaction's return; file: the
 * first replica's "configuration applied" log line, else the file write),
 * and waits until every node that held a full config has received the stamp.
 *
 * With `--rate 0` (default) rounds run one at a time, so bytes and server
 * CPU can be attributed to each. With `--rate R` changes are committed R per
 * second regardless of convergence, and only latency is per round.
 */
import { histogramOf, nowMicros, totalOf } from '../loadgen/index';
import type { Fleet, FleetSnapshot } from '../loadgen/index';
import { selfSample } from './measure';
import type { ProcessSampler } from './measure';
import type { BenchOptions } from './options';
import type { CommitSource, RoundResult } from './result';
import type { Mesh } from './scenarios';
import type { ApplyEvent, ServerProcess } from './server-process';
import type { ConfigSink } from './config-sink';

/** What the rounds need from the variant run. */
export interface RoundsContext {
  readonly opts: BenchOptions;
  readonly mesh: Mesh;
  readonly sink: ConfigSink;
  readonly fleet: Fleet;
  /** Our server processes (replicas); empty for an external target. */
  readonly servers: readonly ServerProcess[];
  readonly sampler: ProcessSampler | undefined;
  readonly externalWaitMs: number;
  setPhase(phase: string): void;
  note(message: string): void;
}

interface Commit {
  readonly round: number;
  readonly change: string;
  readonly writeAtMicros: number;
  source: CommitSource;
  atMs: number;
  applyDelayMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Apply round `round`'s change, write it, and resolve the commit time. */
async function commit(ctx: RoundsContext, round: number): Promise<Commit> {
  const writeAtMicros = nowMicros();
  const change = ctx.mesh.applyChange(ctx.opts.churn, round, writeAtMicros);
  const written = await ctx.sink.write(ctx.mesh);
  const etcd = ctx.sink.kind === 'etcd';
  const c: Commit = { round, change, writeAtMicros, source: etcd ? 'etcd-commit' : 'file-write', atMs: etcd ? written.atMs : writeAtMicros / 1000, applyDelayMs: NaN };
  if (ctx.servers.length === 0) return c;
  const applies = await Promise.all(ctx.servers.map((s) => s.waitApplied(Math.floor(writeAtMicros / 1000), ctx.opts.roundTimeoutMs)));
  const rejected = applies.find((a): a is ApplyEvent => a !== undefined && !a.ok);
  if (rejected) throw new Error(`the server rejected round ${round}'s config (${change}): ${rejected.detail ?? 'see its log'}`);
  const times = applies.filter((a): a is ApplyEvent => a !== undefined).map((a) => a.at);
  if (times.length < ctx.servers.length) ctx.note(`round ${round}: ${ctx.servers.length - times.length} server(s) logged no "configuration applied"${etcd ? '' : '; commit time = file write'}`);
  if (times.length === 0) return c;
  if (etcd) {
    // Commit → the slowest replica's apply (watch event, validate, encode).
    c.applyDelayMs = Math.max(...times) - c.atMs;
  } else if (times.length === ctx.servers.length) {
    c.source = 'server-log';
    c.atMs = Math.min(...times);
    c.applyDelayMs = c.atMs - writeAtMicros / 1000;
  }
  return c;
}

function expectedNodes(snap: FleetSnapshot): number {
  return snap.nodes.everSynced - snap.nodes.slow;
}

function done(fleet: Fleet, round: number, expected: number): boolean {
  if (expected <= 0) return true;
  const r = fleet.round(round);
  return r !== undefined && r.received + r.nackedCount >= expected;
}

function result(ctx: RoundsContext, c: Commit, expected: number, window: { before: FleetSnapshot; after: FleetSnapshot; cpu: number; selfCpu: number } | undefined): RoundResult {
  const r = ctx.fleet.round(c.round);
  const commitMicros = c.atMs * 1000;
  let last = NaN;
  if (r) for (const t of r.at) if (!Number.isNaN(t) && !(t <= last)) last = t;
  const received = r?.received ?? 0;
  const nacked = r?.nackedCount ?? 0;
  const per = (f: (s: FleetSnapshot) => number): number | null => (window ? (f(window.after) - f(window.before)) / Math.max(1, expected) : null);
  return {
    round: c.round,
    change: c.change,
    commitSource: c.source,
    commitAtMs: c.atMs,
    applyDelayMs: c.applyDelayMs,
    latency: r ? histogramOf(r.at, commitMicros).summary() : histogramOf(new Float64Array(0), 0).summary(),
    convergenceMs: (last - commitMicros) / 1000,
    expected,
    received,
    nacked,
    timedOut: Math.max(0, expected - received - nacked),
    rxBytesPerNode: per((s) => totalOf(s.counters.rx).bytes),
    rxMessagesPerNode: per((s) => totalOf(s.counters.rx).messages),
    txBytesPerNode: per((s) => totalOf(s.counters.tx).bytes),
    serverCpuSeconds: window && Number.isFinite(window.cpu) ? window.cpu : null,
    loadgenCpuSeconds: window ? window.selfCpu : null,
  };
}

/** Run every round; returns one result per committed round. */
export async function runRounds(ctx: RoundsContext): Promise<RoundResult[]> {
  const { opts, fleet } = ctx;
  const results: RoundResult[] = [];
  if (opts.rate > 0) {
    const expected = expectedNodes(fleet.snapshot());
    const interval = 1000 / opts.rate;
    const pending: Promise<Commit>[] = [];
    const t0 = Date.now();
    for (let round = 1; round <= opts.rounds; round++) {
      ctx.setPhase(`committing round ${round}/${opts.rounds} at ${opts.rate}/s`);
      await sleep(Math.max(0, t0 + (round - 1) * interval - Date.now()));
      pending.push(commit(ctx, round));
    }
    const commits = await Promise.all(pending);
    ctx.setPhase(`waiting for ${opts.rounds} rounds`);
    await fleet.waitFor(() => commits.every((c) => done(fleet, c.round, expected)), opts.roundTimeoutMs);
    await sleep(opts.settleMs);
    for (const c of commits) results.push(result(ctx, c, expected, undefined));
    return results;
  }
  for (let round = 1; round <= opts.rounds; round++) results.push(await runRound(ctx, round));
  return results;
}

/** One round on its own: commit, wait for every node that holds a full config, settle, and attribute bytes and CPU. */
export async function runRound(ctx: RoundsContext, round: number): Promise<RoundResult> {
  const { opts, fleet } = ctx;
  const before = fleet.snapshot();
  const expected = expectedNodes(before);
  const cpuBefore = ctx.sampler?.sample()?.cpuSeconds ?? NaN;
  const selfBefore = selfSample(fleet.childPids).cpuSeconds;
  ctx.setPhase(`round ${round}/${opts.rounds}: committing`);
  const c = await commit(ctx, round);
  ctx.setPhase(`round ${round}/${opts.rounds}: waiting for ${expected} nodes`);
  const exited = (): ServerProcess | undefined => ctx.servers.find((s) => s.exitInfo !== undefined);
  await fleet.waitFor(() => done(fleet, round, expected) || exited() !== undefined, opts.roundTimeoutMs);
  const gone = exited();
  if (gone) throw new Error(`server ${gone.exitInfo} in round ${round}:\n${gone.logTail()}`);
  ctx.setPhase(`round ${round}/${opts.rounds}: settling`);
  await sleep(opts.settleMs);
  const cpuAfter = ctx.sampler?.sample()?.cpuSeconds ?? NaN;
  const r = result(ctx, c, expected, { before, after: fleet.snapshot(), cpu: cpuAfter - cpuBefore, selfCpu: selfSample(fleet.childPids).cpuSeconds - selfBefore });
  ctx.note(
    `round ${round} (${c.change}): ${r.received}/${expected} nodes, p99 ${r.latency.p99} ms, converged in ${r.convergenceMs.toFixed(1)} ms, ` +
      `${((r.rxBytesPerNode ?? NaN) / 1024).toFixed(2)} KiB/node, commit ${c.source}${Number.isFinite(c.applyDelayMs) ? ` (apply ${c.applyDelayMs >= 0 ? '+' : ''}${c.applyDelayMs.toFixed(0)} ms)` : ''}`,
  );
  return r;
}

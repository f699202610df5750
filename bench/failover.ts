/**
 * @module bench/failover
 * `--scenario failover`: after the update rounds one of the replicas (the
 * first) crashes (SIGKILL). Its nodes' streams end; each node reconnects,
 * after its jittered backoff, to the next replica (as a load balancer in
 * front of the replicas would send it to a live one) and asks for what it
 * holds: delta through `initial_resource_versions`, SotW through
 * `version_info`. The replicas serve the same configuration with the same
 * content-hash versions, and nothing changed meanwhile, so ideally nothing
 * is resent. The figures: bytes each moved node received, and the time from
 * the kill until every stream of the fleet is open on the survivors. A
 * change committed afterwards (the probe) must then reach every node,
 * moved ones included, from its new replica.
 */
import { totalOf } from '../loadgen/index';
import type { FleetSnapshot } from '../loadgen/index';
import type { FailoverResult } from './result';
import { fleetStable } from './restart';
import { runRound } from './rounds';
import type { RoundsContext } from './rounds';

/** How often the survivors' stream counts are checked, in ms. */
const POLL_MS = 20;
/** Longest wait for the fleet's workers to report every move, in ms. */
const REPORT_WAIT_MS = 10_000;
/** One more report round after that (workers report every 200 ms), in ms. */
const REPORT_SETTLE_MS = 500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function openStreams(s: FleetSnapshot): number {
  return s.counters.streamsOpened - s.counters.streamsEnded;
}

/** Kill the first replica, wait for its nodes on the others, measure, then probe with one more change. */
export async function runFailover(ctx: RoundsContext): Promise<FailoverResult> {
  const { opts, fleet } = ctx;
  const [victim, ...survivors] = ctx.servers;
  if (!victim || survivors.length === 0) throw new Error('failover needs at least two replicas');
  const replicas = ctx.servers.length;
  const before = fleet.snapshot();
  const streams = openStreams(before);
  // Node i starts on replica i mod n (loadgen/envoy-node.ts): the victim held nodes 0, n, 2n, …
  const movedNodes = Math.ceil(opts.nodes / replicas);
  const onSurvivorsBefore = survivors.reduce((a, s) => a + s.openStreams, 0);
  const cpuBefore = ctx.sampler?.sample()?.cpuSeconds ?? NaN;

  ctx.setPhase(`failover: killing replica ${victim.target}`);
  const killedAt = Date.now();
  await victim.crash();
  ctx.setPhase(`failover: waiting for ${streams} streams on the ${survivors.length} surviving replica(s)`);
  const fromLog = opts.serverLogLevel === 'info' || opts.serverLogLevel === 'debug' || opts.serverLogLevel === 'trace';
  let back = false;
  if (fromLog) {
    const deadline = killedAt + opts.syncTimeoutMs;
    while (!(back = survivors.reduce((a, s) => a + s.openStreams, 0) >= streams) && Date.now() < deadline) {
      const gone = survivors.find((s) => s.exitInfo !== undefined);
      if (gone) throw new Error(`surviving replica ${gone.exitInfo} during the failover:\n${gone.logTail()}`);
      await sleep(POLL_MS);
    }
  } else {
    back = await fleetStable(fleet, streams, opts.syncTimeoutMs);
  }
  const backAt = Date.now();
  if (!back) ctx.note(`failover: not every stream was open on the surviving replicas within ${opts.syncTimeoutMs / 1000} s`);
  ctx.setPhase('failover: settling');
  await sleep(opts.settleMs);
  // Worker reports can lag on a loaded machine: count bytes only once every move has been reported.
  await fleet.waitFor(() => fleet.snapshot().nodes.moved - before.nodes.moved >= movedNodes, REPORT_WAIT_MS);
  await sleep(REPORT_SETTLE_MS);
  const after = fleet.snapshot();
  const cpuAfter = ctx.sampler?.sample()?.cpuSeconds ?? NaN;

  const rxByType: Record<string, number> = {};
  for (const [type, c] of Object.entries(after.counters.rx)) rxByType[type] = (c.bytes - (before.counters.rx[type]?.bytes ?? 0)) / movedNodes;
  const rx0 = totalOf(before.counters.rx);
  const rx1 = totalOf(after.counters.rx);

  ctx.setPhase('failover: probe change');
  const probe = await runRound({ ...ctx, servers: survivors }, opts.rounds + 1);
  const result: FailoverResult = {
    replicas,
    killed: victim.target,
    movedNodes,
    movedSeen: after.nodes.moved - before.nodes.moved,
    streamsMoved: streams - onSurvivorsBefore,
    backInSyncMs: back ? backAt - killedAt : NaN,
    rxBytesPerMovedNode: (rx1.bytes - rx0.bytes) / movedNodes,
    rxMessagesPerMovedNode: (rx1.messages - rx0.messages) / movedNodes,
    rxBytesPerMovedNodeByType: rxByType,
    txBytesPerMovedNode: (totalOf(after.counters.tx).bytes - totalOf(before.counters.tx).bytes) / movedNodes,
    serverCpuSeconds: cpuAfter - cpuBefore,
    inSyncAfter: after.nodes.inSync,
    probe: { expected: probe.expected, received: probe.received, convergenceMs: probe.convergenceMs, p99Ms: probe.latency.p99 },
  };
  ctx.note(
    `failover: ${result.movedSeen}/${movedNodes} nodes moved; all ${streams} streams on the survivors ${(result.backInSyncMs / 1000).toFixed(2)} s after the kill; ` +
      `${result.rxBytesPerMovedNode.toFixed(0)} B and ${result.rxMessagesPerMovedNode.toFixed(2)} messages received per moved node; ` +
      `probe reached ${probe.received}/${probe.expected} nodes`,
  );
  return result;
}

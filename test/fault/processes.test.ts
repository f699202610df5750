/**
 * @module test/fault/processes.test
 * `--processes 2` on the real CLI: a primary forks two serving processes that
 * share the gRPC port. Nodes on separate connections spread over both (the
 * merged /nodes says which pid holds each), /metrics sums both processes'
 * counters without doubling the configuration, a serving process killed with
 * SIGKILL is restarted while the other keeps serving, and SIGTERM to the
 * primary drains every process and exits 0.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { T } from '../helpers/service-paths';
import { CliProcess } from '../helpers/cli-process';
import type { LogLine } from '../helpers/cli-process';
import { RawXdsStream } from '../helpers/raw-stream';
import { httpGet, metricValue, scrape } from '../helpers/admin-scrape';

const NODES = 20;
/** Two processes starting at once on a shared, loaded CI machine. */
const START_TIMEOUT_MS = 90_000;
const DEADLINE_MS = 30_000;
const DRAIN_TIMEOUT_MS = 1_000;

interface NodesAnswer {
  readonly streams: number;
  readonly processes: number;
  readonly nodes: readonly { readonly pid: number; readonly id: string }[];
}

async function nodesByPid(adminPort: number): Promise<{ answer: NodesAnswer; byPid: Map<number, string[]> }> {
  const res = await httpGet(adminPort, '/nodes');
  assert.equal(res.status, 200, res.body);
  const answer = JSON.parse(res.body) as NodesAnswer;
  const byPid = new Map<number, string[]>();
  for (const n of answer.nodes) byPid.set(n.pid, [...(byPid.get(n.pid) ?? []), n.id]);
  return { answer, byPid };
}

function openNode(port: number, id: string, i: number): RawXdsStream {
  const s = new RawXdsStream({ port, variant: i % 2 === 0 ? 'sotw' : 'delta', node: { id }, autoAck: true });
  s.subscribeWildcard(T.CLUSTER);
  return s;
}

async function served(streams: readonly RawXdsStream[]): Promise<void> {
  await Promise.all(streams.map((s) => s.waitFor((r) => r.names.includes('example_cluster'), DEADLINE_MS, 'the example cluster')));
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('--processes 2: nodes spread over both serving processes, metrics are aggregated, a killed process is restarted, SIGTERM drains all and exits 0', async (t) => {
  const cli = await CliProcess.start(['--processes', '2', '--port', '0', '--host', '127.0.0.1', '--admin-port', '0', '--drain-timeout-ms', String(DRAIN_TIMEOUT_MS)], {
    readyTimeoutMs: START_TIMEOUT_MS,
  });
  const adminPort = cli.adminPort ?? 0;
  const streams: RawXdsStream[] = [];
  try {
    const ready = cli.logs.find((l) => l.msg === 'ready') as LogLine;
    const pids = ready['pids'] as number[];
    assert.equal(pids.length, 2, 'the ready line names both serving processes');
    assert.ok(!pids.includes(cli.child.pid ?? -1), 'the primary serves no xDS itself');

    await t.test('nodes on separate connections spread over both serving processes', async () => {
      for (let i = 0; i < NODES; i++) streams.push(openNode(cli.grpcPort, `spread-${i}`, i));
      await served(streams);
      const { answer, byPid } = await nodesByPid(adminPort);
      assert.equal(answer.processes, 2);
      assert.equal(answer.streams, NODES);
      assert.deepEqual([...byPid.keys()].sort(), [...pids].sort(), `nodes by pid: ${JSON.stringify([...byPid])}`);
      console.log(`[fault] --processes 2: ${NODES} nodes on separate connections: ${[...byPid].map(([pid, ids]) => `pid ${pid}: ${ids.length}`).join(', ')}`);
    });

    await t.test('/metrics sums counters over both processes and does not double the configuration', async () => {
      const samples = await scrape(adminPort);
      assert.equal(metricValue(samples, 'xds_streams_opened_total'), NODES, 'streams opened, summed over both processes');
      const dump = JSON.parse((await httpGet(adminPort, '/config_dump')).body) as { resources: { type: string }[] };
      const clusters = dump.resources.filter((r) => r.type.endsWith('.Cluster')).length;
      assert.ok(clusters > 0);
      assert.equal(metricValue(samples, 'xds_resources', { type: 'Cluster' }), clusters, 'every process holds the same clusters: not summed');
      assert.equal(metricValue(samples, 'xds_serving_processes', { state: 'serving' }), 2);
      assert.equal((await httpGet(adminPort, '/readyz')).status, 200);
      assert.equal((await httpGet(adminPort, '/healthz')).status, 200);
    });

    await t.test('a serving process killed with SIGKILL is restarted, and its nodes are served by the other meanwhile', async () => {
      const { byPid } = await nodesByPid(adminPort);
      const victim = pids[0] as number;
      const survivor = pids[1] as number;
      const victimNodes = new Set(byPid.get(victim));
      process.kill(victim, 'SIGKILL');
      const cut = streams.filter((_, i) => victimNodes.has(`spread-${i}`));
      await Promise.all(cut.map((s) => s.ended(DEADLINE_MS)));
      // The cut nodes reconnect at once, as a real fleet does; the other process serves them while the killed one
      // restarts (the primary hands connections only to processes that serve, and a death leaves none unserved).
      const moved = cut.map((_, i) => openNode(cli.grpcPort, `moved-${i}`, i));
      streams.push(...moved);
      await served(moved);
      const restarted = await cli.waitForLog((l) => l.msg === 'serving process serving' && l['servingPid'] !== victim && l['servingPid'] !== survivor, START_TIMEOUT_MS);
      const newPid = restarted['servingPid'] as number;
      await until(async () => (await httpGet(adminPort, '/readyz')).status === 200, DEADLINE_MS, '/readyz ready again after the restart');
      const samples = await scrape(adminPort);
      assert.equal(metricValue(samples, 'xds_serving_process_restarts_total'), 1);
      assert.ok(
        cli.logs.some((l) => l.msg?.startsWith('serving process died') === true && l['servingPid'] === victim),
        'the death is logged',
      );
      // New connections reach the restarted process too.
      const later = Array.from({ length: 6 }, (_, i) => openNode(cli.grpcPort, `later-${i}`, i));
      streams.push(...later);
      await served(later);
      const after = await nodesByPid(adminPort);
      assert.deepEqual([...after.byPid.keys()].sort(), [survivor, newPid].sort(), `nodes by pid after the restart: ${JSON.stringify([...after.byPid])}`);
      const movedTo = after.answer.nodes.filter((n) => n.id.startsWith('moved-')).map((n) => n.pid);
      console.log(
        `[fault] --processes 2: killed pid ${victim} (${cut.length} nodes); they reconnected at once: ${movedTo.filter((p) => p === survivor).length} to pid ${survivor}, ` +
          `${movedTo.filter((p) => p === newPid).length} to the restarted pid ${newPid}; ${later.length} later nodes: ${after.byPid.get(newPid)?.filter((id) => id.startsWith('later-')).length ?? 0} on pid ${newPid}`,
      );
    });

    await t.test('SIGTERM to the primary drains every serving process and exits 0', async () => {
      const servingNow = [...(await nodesByPid(adminPort)).byPid.keys()];
      cli.signal('SIGTERM');
      const exit = await cli.exited;
      assert.equal(exit.code, 0, `exit code (signal ${exit.signal}); stderr: ${cli.stderr}`);
      for (const pid of servingNow)
        assert.ok(
          cli.logs.some((l) => l.msg === 'drain finished' && l['pid'] === pid),
          `pid ${pid} drained`,
        );
      // Every stream ended (the drained ones with UNAVAILABLE): none is left on a process that lingers.
      await Promise.all(streams.map((s) => s.ended(DEADLINE_MS)));
    });
  } finally {
    for (const s of streams) s.close();
    await cli.kill();
  }
});

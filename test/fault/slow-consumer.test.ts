/**
 * @module test/fault/slow-consumer.test
 * Slow consumers that stop reading while a big config keeps changing
 * (DESIGN.md principle 4, latest wins): the server's memory stays flat
 * however many versions they miss, other nodes still get every update, and
 * when a stalled node reads again it gets the latest config, not a backlog.
 * The server runs in its own process so its memory is measured alone.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ResourceJson } from '../../src/api-types';
import { AdsClient } from '../helpers/ads-client';
import { hasClusterTimeout } from '../helpers/inspect';
import { cluster } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { ChildServer, mib, retainedBytes } from '../helpers/child-server';
import type { Memory } from '../helpers/child-server';
import { NODE_CHANNEL_OPTIONS } from '../helpers/raw-stream';
import { StallingClient } from '../helpers/stalling-client';

const CLUSTERS = 2_000;
const ENDPOINTS_PER_CLUSTER = 10;
const SLOW_CONSUMERS = 20;
const UPDATES = 8;
const DEADLINE_MS = 30_000;

/** A STATIC cluster with `ENDPOINTS_PER_CLUSTER` endpoints, so a full CDS response is about a megabyte. */
function bigCluster(i: number, timeoutSeconds: number): ResourceJson {
  const name = `slow-${i}`;
  const lbEndpoints = Array.from({ length: ENDPOINTS_PER_CLUSTER }, (_, e) => ({
    endpoint: { address: { socket_address: { address: `10.${(i >> 8) & 255}.${i & 255}.${e + 1}`, port_value: 8000 + e } } },
  }));
  return { ...cluster(name, { timeoutSeconds }), load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: lbEndpoints }] } };
}

function config(timeoutSeconds: number): ResourceJson[] {
  return Array.from({ length: CLUSTERS }, (_, i) => bigCluster(i, timeoutSeconds));
}

test(`${SLOW_CONSUMERS} consumers that stop reading while ${UPDATES} updates of ${CLUSTERS} clusters go out leave server memory flat and a normal node unaffected; on resuming they get the latest config, not a backlog`, async () => {
  const server = await ChildServer.start();
  const slow: StallingClient[] = [];
  let normal: AdsClient | undefined;
  try {
    const FIRST_TIMEOUT_S = 1;
    await server.set(config(FIRST_TIMEOUT_S));
    normal = await AdsClient.connect(server.port, { variant: 'delta', node: { id: 'healthy-node' }, channelOptions: NODE_CHANNEL_OPTIONS });
    const initial = await normal.fetch(T.CLUSTER, [], { timeoutMs: DEADLINE_MS });
    assert.equal(initial.resources.length, CLUSTERS);
    const responseBytes = initial.bytes;
    const baseline = await server.memory();

    // The slow consumers take the first response, ACK it, and then stop reading at the HTTP/2 level.
    for (let i = 0; i < SLOW_CONSUMERS; i++) {
      const s = new StallingClient(server.port, i % 2 === 0 ? 'sotw' : 'delta', { id: `slow-${i}` });
      s.subscribeClusters(T.CLUSTER);
      slow.push(s);
    }
    await Promise.all(slow.map((s) => s.waitFor((r) => r.typeUrl === T.CLUSTER, DEADLINE_MS, 'first CDS response')));
    for (const s of slow) {
      const first = s.responses[0];
      assert.ok(first);
      s.stall();
      s.ack(first);
    }

    const samples: Memory[] = [];
    const latencies: number[] = [];
    for (let k = 1; k <= UPDATES; k++) {
      const seconds = FIRST_TIMEOUT_S + k;
      const committedAt = performance.now();
      await server.update(config(seconds));
      // The healthy node gets every update (delta: the changed clusters, all of them here).
      await normal.until(T.CLUSTER, (r) => r.resources.length === CLUSTERS && hasClusterTimeout(r, 'slow-0', seconds), { timeoutMs: DEADLINE_MS, ack: true });
      latencies.push(performance.now() - committedAt);
      samples.push(await server.memory());
    }
    for (const s of slow) assert.equal(s.responses.length, 1, 'a stalled consumer read nothing after it stopped reading');
    const stats = await server.stats();
    assert.equal(stats.streams.sotw + stats.streams.delta, SLOW_CONSUMERS + 1, 'the slow consumers are still connected');

    const afterFirst = retainedBytes(samples[0] ?? baseline);
    const last = retainedBytes(samples.at(-1) ?? baseline);
    const peak = Math.max(...samples.map(retainedBytes));
    // Queueing every version would add SLOW_CONSUMERS × responseBytes (≈ 20 MiB) per update; latest-wins adds nothing after the first.
    const perRound = SLOW_CONSUMERS * responseBytes;
    assert.ok(last - afterFirst < perRound, `retained memory grew ${mib(last - afterFirst)} between update 1 and update ${UPDATES} (one round of responses to the stalled nodes is ${mib(perRound)})`);
    assert.ok(peak - retainedBytes(baseline) < 3 * perRound, `peak ${mib(peak - retainedBytes(baseline))} over baseline`);

    // Resume: each stalled node reads what was stuck, ACKs, and gets the latest config next: no backlog.
    const finalSeconds = FIRST_TIMEOUT_S + UPDATES;
    const resumedAt = performance.now();
    for (const s of slow) {
      s.autoAck = true;
      s.resume();
    }
    await Promise.all(
      slow.map((s) =>
        s.waitFor(
          (r) => r.typeUrl === T.CLUSTER && hasClusterTimeout(r, 'slow-0', finalSeconds) && (s.variant === 'sotw' || r.resources.length === CLUSTERS),
          DEADLINE_MS,
          'latest config after resuming',
        ),
      ),
    );
    const catchUpMs = performance.now() - resumedAt;
    const counts = slow.map((s) => s.responses.length);
    // initial + the one stuck in flight + the coalesced latest.
    for (const n of counts) assert.ok(n <= 3, `a resumed node read ${n} CDS responses for ${UPDATES} updates (a backlog)`);

    console.log(
      `[fault] slow consumer: ${CLUSTERS} clusters (${mib(responseBytes)} per full CDS response), ${SLOW_CONSUMERS} stalled streams, ${UPDATES} updates. ` +
        `Server retained (heapUsed+external after GC): baseline ${mib(retainedBytes(baseline))}, after update 1 ${mib(afterFirst)} ` +
        `(+${mib(afterFirst - retainedBytes(baseline))}: one stuck response per stalled stream), after update ${UPDATES} ${mib(last)}, peak ${mib(peak)}; ` +
        `RSS baseline ${mib(baseline.rss)} → ${mib(samples.at(-1)?.rss ?? 0)}. ` +
        `Healthy node got every update, ${Math.min(...latencies).toFixed(0)}–${Math.max(...latencies).toFixed(0)} ms after commit. ` +
        `Resumed nodes read ${Math.min(...counts)}–${Math.max(...counts)} responses in all and had the latest config ${catchUpMs.toFixed(0)} ms after resuming`,
    );
  } finally {
    for (const s of slow) s.close();
    normal?.close();
    await server.stop();
  }
});

/**
 * @module test/fault/connect-storm.test
 * A connect storm well above the admission rate: every node connects at
 * once, the token bucket refuses most of them with RESOURCE_EXHAUSTED, they
 * retry with jittered exponential backoff (as Envoy does), and in the end
 * every node holds the current config and keeps receiving updates.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { createXdsServer } from '../../src/index';
import { silentLogger } from '../../src/observe/logger';
import { AdsClient } from '../helpers/ads-client';
import type { Variant } from '../helpers/ads-client';
import { hasClusterTimeout } from '../helpers/inspect';
import { cluster, delay } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { metricValue, parseMetrics } from '../helpers/admin-scrape';
import { NODE_CHANNEL_OPTIONS } from '../helpers/raw-stream';

const STORM_NODES = 300;
const ADMISSION_PER_SECOND = 100;
const ADMISSION_BURST = 20;
const CLUSTERS = 20;
/** Client retry backoff: full jitter over base·2^n, capped (Envoy's shape, scaled down for a test). */
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 2_000;
/** Generous correctness deadline for the whole storm to settle (ideal: 300 / 100/s = 3 s). */
const SYNC_DEADLINE_MS = 45_000;
const RESPONSE_TIMEOUT_MS = 15_000;
/**
 * How long one node's connection may take to come up. This process makes 300 connections and serves them too: with
 * a busy core the first 300 took up to 3 s, and the ~250 refused nodes reconnecting together took up to 3 s each
 * (5 s, the default, ran out for 11–78 of them in 5 runs of 20). A guard against a hang, not a wait: a node
 * proceeds as soon as it is connected. Under the server's 30 s idle timeout, which the first connections sit
 * through while the rest come up.
 */
const STORM_CONNECT_TIMEOUT_MS = 20_000;

interface Joined {
  readonly client: AdsClient;
  readonly attempts: number;
  readonly joinedAfterMs: number;
}

/**
 * A gate for the first attempts: each node arrives once its channel is ready, and all of them open their streams
 * in the same tick once the last one has. Opening each stream as its connection came up spread the storm over the
 * seconds a loaded machine took to connect 300 nodes, under the admission rate, so nothing was refused (2 runs in 7
 * with a busy core). Opens anyway after `timeoutMs`: a node that never connected fails the test on its own.
 */
function burst(nodes: number, timeoutMs: number): { arrive: () => Promise<void>; opened: Promise<number> } {
  let arrived = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const timer = setTimeout(open, timeoutMs);
  return {
    arrive: () => {
      if (++arrived === nodes) open();
      return gate;
    },
    opened: gate.then(() => {
      clearTimeout(timer);
      return performance.now();
    }),
  };
}

function backoffMs(attempt: number): number {
  return Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
}

/** One node: connect, ask for every cluster; on RESOURCE_EXHAUSTED back off and retry until it holds the config. */
async function join(port: number, variant: Variant, id: string, gate: () => Promise<void>, startedAt: Promise<number>, deadline: Promise<number>): Promise<Joined> {
  for (let attempt = 1; ; attempt++) {
    const connectFrom = performance.now();
    const client = await AdsClient.connect(port, {
      variant,
      node: { id },
      channelOptions: NODE_CHANNEL_OPTIONS,
      connectTimeoutMs: STORM_CONNECT_TIMEOUT_MS,
      ...(attempt === 1 ? { beforeStream: gate } : {}),
    }).catch((err: Error) => {
      throw new Error(`node ${id} attempt ${attempt}: not connected after ${(performance.now() - connectFrom).toFixed(0)} ms: ${err.message}`);
    });
    client.subscribe(T.CLUSTER, []);
    try {
      const r = await client.next(T.CLUSTER, { timeoutMs: RESPONSE_TIMEOUT_MS });
      client.ack(r);
      return { client, attempts: attempt, joinedAfterMs: performance.now() - (await startedAt) };
    } catch (err) {
      const code = client.status?.code;
      client.close();
      if (code !== grpc.status.RESOURCE_EXHAUSTED) throw new Error(`node ${id} attempt ${attempt}: ${(err as Error).message}`);
      if (performance.now() > (await deadline)) throw new Error(`node ${id} still refused after ${attempt} attempts`);
      await delay(backoffMs(attempt));
    }
  }
}

test(`a connect storm of ${STORM_NODES} nodes against admission ${ADMISSION_PER_SECOND}/s ends with every node in sync; refused nodes saw RESOURCE_EXHAUSTED and got in by backing off`, async () => {
  const server = await createXdsServer({
    port: 0,
    host: '127.0.0.1',
    workers: 1,
    logger: silentLogger(),
    limits: { admissionPerSecond: ADMISSION_PER_SECOND, admissionBurst: ADMISSION_BURST },
  });
  const joined: Joined[] = [];
  try {
    await server.setResources(Array.from({ length: CLUSTERS }, (_, i) => cluster(`storm-${i}`)));
    const connectFrom = performance.now();
    const storm = burst(STORM_NODES, STORM_CONNECT_TIMEOUT_MS);
    const deadline = storm.opened.then((at) => at + SYNC_DEADLINE_MS);
    const results = await Promise.allSettled(Array.from({ length: STORM_NODES }, (_, i) => join(server.port, i % 2 === 0 ? 'sotw' : 'delta', `storm-node-${i}`, storm.arrive, storm.opened, deadline)));
    const startedAt = await storm.opened;
    for (const r of results) if (r.status === 'fulfilled') joined.push(r.value);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(failed.length, 0, `nodes that never got in: ${failed.length}; first: ${String(failed[0]?.reason)}`);
    const syncMs = performance.now() - startedAt;

    const refusals = joined.reduce((n, j) => n + j.attempts - 1, 0);
    const maxAttempts = Math.max(...joined.map((j) => j.attempts));
    assert.ok(refusals > 0, 'the storm exceeded the admission rate, so some streams must have been refused');
    const stats = server.stats();
    assert.equal(stats.streams.sotw + stats.streams.delta, STORM_NODES, 'every node holds exactly one open stream');
    const metrics = parseMetrics((await server.internals.metrics.render()).body);
    assert.equal(metricValue(metrics, 'xds_streams_rejected_total', { reason: 'admission' }), refusals, 'the server counted exactly the refusals the clients saw');

    // Every node in sync: a change now reaches all of them.
    const changedAt = performance.now();
    const upd = await server.updateResources({ upsert: [cluster('storm-0', { timeoutSeconds: 9 })] });
    assert.ok(upd.ok);
    const version = server.internals.store.view('', T.CLUSTER).get('storm-0')?.version;
    await Promise.all(
      joined.map(({ client }) =>
        client.variant === 'sotw'
          ? client.until(T.CLUSTER, (r) => hasClusterTimeout(r, 'storm-0', 9), { timeoutMs: RESPONSE_TIMEOUT_MS, ack: true })
          : client.until(T.CLUSTER, (r) => r.resources.some((x) => x.name === 'storm-0' && x.version === version), { timeoutMs: RESPONSE_TIMEOUT_MS, ack: true }),
      ),
    );
    const fanoutMs = performance.now() - changedAt;
    for (const { client } of joined) {
      if (client.variant === 'delta') assert.equal(Object.keys(client.heldVersions(T.CLUSTER)).length, CLUSTERS);
      client.assertNoViolations();
    }
    console.log(
      `[fault] connect storm: ${STORM_NODES} nodes connected in ${(startedAt - connectFrom).toFixed(0)} ms, then opened their streams at once; ${STORM_NODES} held (admission ${ADMISSION_PER_SECOND}/s, burst ${ADMISSION_BURST}); ${refusals} RESOURCE_EXHAUSTED refusals, ` +
        `max ${maxAttempts} attempts for one node; all in sync after ${syncMs.toFixed(0)} ms (ideal ${((STORM_NODES - ADMISSION_BURST) / ADMISSION_PER_SECOND) * 1000} ms); ` +
        `a change then reached all ${STORM_NODES} in ${fanoutMs.toFixed(0)} ms`,
    );
  } finally {
    for (const { client } of joined) client.close();
    await server.stop();
  }
});

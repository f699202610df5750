/**
 * @module test/fault/stream-limits.test
 * Per-stream limits and connection age: a noisy stream is ended with
 * RESOURCE_EXHAUSTED while its neighbours keep being served, and a
 * connection past its maximum age is closed so the node reconnects (and
 * load can rebalance across replicas).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { createXdsServer } from '../../src/index';
import { AdsClient } from '../helpers/ads-client';
import { hasClusterTimeout } from '../helpers/inspect';
import { cluster, startServer } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { NODE_CHANNEL_OPTIONS } from '../helpers/raw-stream';

const DEADLINE_MS = 5_000;

test('a stream flooding requests or naming too many resources is ended with RESOURCE_EXHAUSTED; a calm node on the same server keeps getting updates', async () => {
  const ts = await startServer({ resources: [cluster('lim-a')], limits: { requestsPerSecond: 10, requestBurst: 20, maxNamesPerRequest: 5 } });
  const clients: AdsClient[] = [];
  const connect = async (variant: 'sotw' | 'delta', id: string): Promise<AdsClient> => {
    const c = await AdsClient.connect(ts.port, { variant, node: { id }, channelOptions: NODE_CHANNEL_OPTIONS });
    clients.push(c);
    return c;
  };
  try {
    const calm = await connect('sotw', 'calm');
    await calm.fetch(T.CLUSTER, []);

    const flood = await connect('sotw', 'flooder');
    for (let i = 0; i < 100; i++) flood.send({ typeUrl: T.ENDPOINT, resourceNames: [`x${i % 3}`] });
    const floodStatus = await flood.ended(DEADLINE_MS);
    assert.equal(grpc.status[floodStatus.code], 'RESOURCE_EXHAUSTED', floodStatus.details);

    const greedy = await connect('delta', 'greedy');
    greedy.send({ typeUrl: T.ENDPOINT, resourceNamesSubscribe: ['a', 'b', 'c', 'd', 'e', 'f'] });
    const greedyStatus = await greedy.ended(DEADLINE_MS);
    assert.equal(grpc.status[greedyStatus.code], 'RESOURCE_EXHAUSTED', greedyStatus.details);

    await ts.update({ upsert: [cluster('lim-a', { timeoutSeconds: 5 })] });
    const pushed = await calm.next(T.CLUSTER, { timeoutMs: DEADLINE_MS });
    assert.ok(hasClusterTimeout(pushed, 'lim-a', 5));
    assert.equal(calm.status, undefined, 'the calm stream is still open');
    console.log(`[fault] limits: flooding stream → "${floodStatus.details}"; 6 names in one request → "${greedyStatus.details}"`);
  } finally {
    for (const c of clients) c.close();
    await ts.stop();
  }
});

test('a connection past its maximum age (plus grace) is closed and the node reconnects to its config', async () => {
  const MAX_AGE_MS = 500;
  const GRACE_MS = 300;
  const ts = await startServer({ resources: [cluster('age-a')], maxConnectionAgeMs: MAX_AGE_MS, maxConnectionAgeGraceMs: GRACE_MS });
  const clients: AdsClient[] = [];
  try {
    const openedAt = performance.now();
    const c = await AdsClient.connect(ts.port, { variant: 'sotw', node: { id: 'aging' }, channelOptions: NODE_CHANNEL_OPTIONS });
    clients.push(c);
    await c.fetch(T.CLUSTER, []);
    const st = await c.ended(DEADLINE_MS);
    const endedMs = performance.now() - openedAt;
    assert.equal(grpc.status[st.code], 'UNAVAILABLE', `the aged stream ended with "${st.details}"`);
    const again = await AdsClient.connect(ts.port, { variant: 'sotw', node: { id: 'aging' }, channelOptions: NODE_CHANNEL_OPTIONS });
    clients.push(again);
    const r = await again.fetch(T.CLUSTER, []);
    assert.deepEqual(r.names, ['age-a']);
    console.log(
      `[fault] max connection age ${MAX_AGE_MS} ms (±10% jitter) + grace ${GRACE_MS} ms: stream ended ${endedMs.toFixed(0)} ms after connecting with UNAVAILABLE "${st.details}"; the node reconnected and got its config`,
    );
  } finally {
    for (const c of clients) c.close();
    await ts.stop();
  }
});

test('streams refused since the last counted log line are logged when the server stops, not lost', async () => {
  const lines: Array<{ msg?: string; count?: number; total?: number }> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) });
  // One stream admitted, then none for the rest of the test (a token every 1000 s).
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger, limits: { admissionPerSecond: 0.001, admissionBurst: 1 } });
  const clients: AdsClient[] = [];
  try {
    await server.setResources([cluster('lim-a')]);
    for (const id of ['admitted', 'refused-1', 'refused-2', 'refused-3']) {
      const c = await AdsClient.connect(server.port, { variant: 'delta', node: { id }, channelOptions: NODE_CHANNEL_OPTIONS });
      clients.push(c);
      if (id === 'admitted') {
        assert.equal((await c.fetch(T.CLUSTER, [])).resources.length, 1);
        continue;
      }
      c.subscribe(T.CLUSTER, []);
      const status = await c.ended(DEADLINE_MS);
      assert.equal(grpc.status[status.code], 'RESOURCE_EXHAUSTED', status.details);
    }
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
  const refusals = lines.filter((l) => l.msg?.startsWith('refused ') === true && l.msg.includes('new stream(s)'));
  // The first refusal is logged at once; the next two fall in its 10 s interval, which the stop cuts short.
  assert.deepEqual(
    refusals.map((l) => [l.count, l.total]),
    [
      [1, 1],
      [2, 3],
    ],
    JSON.stringify(refusals),
  );
});

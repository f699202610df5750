/**
 * @module test/fault/metrics.test
 * The admin port tells the truth about what happened on the wire: a push
 * and a NACK move the Prometheus counters by exactly what the client saw,
 * and /readyz, /nodes and /config_dump agree with it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createXdsServer } from '../../src/index';
import { startAdminServer } from '../../src/admin/admin-server';
import { silentLogger } from '../../src/observe/logger';
import { AdsClient } from '../helpers/ads-client';
import { cluster, waitFor } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { httpGet, metricValue, scrape } from '../helpers/admin-scrape';
import type { Sample } from '../helpers/admin-scrape';

const DEADLINE_MS = 5_000;

test('/metrics reflects a push and a NACK: responses, bytes, push latency, NACKs, reloads and streams move by what the clients saw', async () => {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger: silentLogger(), allowDanglingReferences: true });
  const admin = await startAdminServer(server.internals, '127.0.0.1', 0, silentLogger());
  const clients: AdsClient[] = [];
  try {
    assert.equal((await httpGet(admin.port, '/healthz')).status, 200);
    assert.equal((await httpGet(admin.port, '/readyz')).status, 503, 'not ready before the first configuration');
    const setResult = await server.setResources([cluster('m-a'), cluster('m-b')]);
    assert.ok(setResult.ok);
    assert.equal((await httpGet(admin.port, '/readyz')).status, 200);

    for (const variant of ['sotw', 'delta'] as const) {
      const labels = { variant, type: 'Cluster' };
      const at = (s: readonly Sample[]) => ({
        responses: metricValue(s, 'xds_responses_total', labels),
        bytes: metricValue(s, 'xds_bytes_sent_total', labels),
        nacks: metricValue(s, 'xds_nacks_total', labels),
        latencyCount: metricValue(s, 'xds_push_latency_seconds_count', { variant }),
        streams: metricValue(s, 'xds_streams', labels),
        opened: metricValue(s, 'xds_streams_opened_total', { variant }),
        accepted: metricValue(s, 'xds_config_reloads_total', { result: 'accepted' }),
      });
      const m0 = at(await scrape(admin.port));
      const client = await AdsClient.connect(server.port, { variant, node: { id: `metrics-${variant}` } });
      clients.push(client);
      const initial = await client.fetch(T.CLUSTER, []);

      const m1 = at(await scrape(admin.port));
      assert.equal(m1.responses - m0.responses, 1, 'one response counted for the initial push');
      assert.equal(m1.bytes - m0.bytes, initial.bytes, 'bytes counted = bytes the client received');
      assert.equal(m1.streams, 1, 'xds_streams shows the open stream for its type');
      assert.equal(m1.opened - m0.opened, 1);

      // A push caused by a config change, which the client NACKs.
      const upd = await server.updateResources({ upsert: [cluster('m-a', { timeoutSeconds: variant === 'sotw' ? 3 : 4 })] });
      assert.ok(upd.ok);
      const pushed = await client.next(T.CLUSTER);
      client.nack(pushed, `metrics test rejects ${variant}`);
      let m2 = at(await scrape(admin.port));
      await waitFor(async () => (m2 = at(await scrape(admin.port))).nacks > m1.nacks, DEADLINE_MS, 'the NACK to show in xds_nacks_total');
      assert.equal(m2.nacks - m1.nacks, 1, 'one NACK counted');
      assert.equal(m2.responses - m1.responses, 1, 'one response counted for the push');
      assert.equal(m2.bytes - m1.bytes, pushed.bytes, 'bytes counted = bytes the client received');
      assert.equal(m2.latencyCount - m1.latencyCount, 1, 'the push recorded one latency sample');
      assert.equal(m2.accepted - m1.accepted, 1, 'the accepted batch counted as a reload');

      const nodes = JSON.parse((await httpGet(admin.port, `/nodes?id=metrics-${variant}`)).body) as {
        streams: number;
        nodes: { id: string; variant: string; types: Record<string, { lastNack?: { message: string } }> }[];
      };
      assert.equal(nodes.streams, 1, '/nodes?id= filters to the one node');
      assert.equal(nodes.nodes[0]?.variant, variant);
      assert.equal(nodes.nodes[0]?.types[T.CLUSTER]?.lastNack?.message, `metrics test rejects ${variant}`);
      console.log(
        `[fault] metrics (${variant}): responses +${m2.responses - m0.responses}, bytes +${m2.bytes - m0.bytes}, NACKs +${m2.nacks - m0.nacks}, push latency samples +${m2.latencyCount - m0.latencyCount}`,
      );

      client.close();
      await waitFor(async () => at(await scrape(admin.port)).streams === 0, DEADLINE_MS, `xds_streams{variant="${variant}"} to drop to 0 after disconnect`);
    }

    const before = await scrape(admin.port);
    const bad = await server.updateResources({ upsert: [{ ...cluster('m-bad'), bogus_field: 1 }] });
    assert.equal(bad.ok, false);
    const after = await scrape(admin.port);
    assert.equal(metricValue(after, 'xds_config_reloads_total', { result: 'rejected' }) - metricValue(before, 'xds_config_reloads_total', { result: 'rejected' }), 1);
    assert.equal(metricValue(after, 'xds_resources', { type: 'Cluster' }), 2, 'the rejected batch left the store alone');
    for (const name of ['nodejs_eventloop_lag_seconds', 'xds_encode_pool_queue', 'xds_encode_pool_utilization']) {
      assert.ok(
        after.some((s) => s.name === name),
        `${name} is exported`,
      );
    }

    const dump = JSON.parse((await httpGet(admin.port, '/config_dump')).body) as { resources: { type: string; name: string; version: string }[] };
    assert.deepEqual(
      dump.resources
        .filter((r) => r.type === T.CLUSTER)
        .map((r) => r.name)
        .sort(),
      ['m-a', 'm-b'],
    );
  } finally {
    for (const c of clients) c.close();
    await admin.close();
    await server.stop();
  }
});

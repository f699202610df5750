/**
 * @module test/fault/non-reading-clients.test
 * Clients that never read their responses (issue 9, item 5). Each stream
 * holds at most one unflushed large response, whatever else becomes due;
 * and across the server, the responses held for non-reading clients stay
 * within --max-stalled-bytes: past it, the streams stalled longest are reset
 * (and counted), while streams that read are unaffected. The server runs in
 * its own process so its memory is measured alone.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ResourceJson } from '../../src/api-types';
import { AdsClient } from '../helpers/ads-client';
import { hasClusterTimeout } from '../helpers/inspect';
import { cluster, listener, waitFor } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { metricValue, parseMetrics } from '../helpers/admin-scrape';
import { ChildServer, mib, retainedBytes } from '../helpers/child-server';
import { NODE_CHANNEL_OPTIONS } from '../helpers/raw-stream';
import { StallingClient } from '../helpers/stalling-client';

const MIB = 1024 * 1024;
const DEADLINE_MS = 30_000;

/** A STATIC cluster with `endpoints` endpoints inline, so a few thousand make a response of about a megabyte. */
function bigCluster(i: number, endpoints: number, timeoutSeconds = 1): ResourceJson {
  const name = `big-${i}`;
  const lbEndpoints = Array.from({ length: endpoints }, (_, e) => ({
    endpoint: { address: { socket_address: { address: `10.${(i >> 8) & 255}.${i & 255}.${e + 1}`, port_value: 8000 + e } } },
  }));
  return { ...cluster(name, { timeoutSeconds }), load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: lbEndpoints }] } };
}

function clusters(count: number, endpoints: number, timeoutSeconds = 1): ResourceJson[] {
  return Array.from({ length: count }, (_, i) => bigCluster(i, endpoints, timeoutSeconds));
}

test('a client that reads nothing is held to one unflushed large response even with two large types due; when it reads, the other follows', async () => {
  const server = await ChildServer.start();
  let stalled: StallingClient | undefined;
  let reader: AdsClient | undefined;
  try {
    const listeners = Array.from({ length: 2_000 }, (_, i) => listener(`l-${i}`, `r-${i}`, 10_000 + i));
    await server.set([...clusters(2_000, 10), ...listeners]);
    reader = await AdsClient.connect(server.port, { variant: 'sotw', node: { id: 'reader' }, channelOptions: NODE_CHANNEL_OPTIONS });
    const cdsBytes = (await reader.fetch(T.CLUSTER, [], { timeoutMs: DEADLINE_MS })).bytes;
    const ldsBytes = (await reader.fetch(T.LISTENER, [], { timeoutMs: DEADLINE_MS })).bytes;

    stalled = new StallingClient(server.port, 'sotw', { id: 'never-reads' });
    stalled.stall();
    stalled.subscribeClusters(T.CLUSTER);
    stalled.subscribeClusters(T.LISTENER);
    let held = 0;
    await waitFor(async () => (held = (await server.streams()).find((s) => s.id === 'never-reads')?.unflushedBytes ?? 0) > 0, DEADLINE_MS, 'the first response to be written');
    // Give the flush loop every chance to write the second type too: listeners wait for clusters' ACK, at most 2 s (make before break).
    await new Promise((r) => setTimeout(r, 3_000));
    held = (await server.streams()).find((s) => s.id === 'never-reads')?.unflushedBytes ?? 0;
    console.log(`[fault] non-reading ADS stream with CDS (${mib(cdsBytes)}) and LDS (${mib(ldsBytes)}) due: ${mib(held)} unflushed`);
    assert.ok(held <= Math.max(cdsBytes, ldsBytes), `the stream holds ${held} unflushed bytes: more than one response (CDS ${cdsBytes}, LDS ${ldsBytes})`);

    stalled.autoAck = true;
    stalled.resume();
    await stalled.waitFor((r) => r.typeUrl === T.CLUSTER, DEADLINE_MS, 'CDS after reading again');
    await stalled.waitFor((r) => r.typeUrl === T.LISTENER, DEADLINE_MS, 'LDS after reading again');
  } finally {
    stalled?.close();
    reader?.close();
    await server.stop();
  }
});

test('100 clients that never read hold no more than --max-stalled-bytes: the longest-stalled are reset and counted, and a reading node still gets every update', async () => {
  const CLIENTS = 100;
  const MAX_INFLIGHT = 64 * MIB;
  const MAX_STALLED = 16 * MIB;
  const server = await ChildServer.start({ maxInflightBytes: MAX_INFLIGHT, maxStalledBytes: MAX_STALLED });
  const clients: StallingClient[] = [];
  let reader: AdsClient | undefined;
  try {
    await server.set(clusters(2_000, 20));
    reader = await AdsClient.connect(server.port, { variant: 'delta', node: { id: 'reader' }, channelOptions: NODE_CHANNEL_OPTIONS });
    const responseBytes = (await reader.fetch(T.CLUSTER, [], { timeoutMs: DEADLINE_MS })).bytes;
    const baseline = await server.memory();

    for (let i = 0; i < CLIENTS; i++) {
      const c = new StallingClient(server.port, i % 2 === 0 ? 'sotw' : 'delta', { id: `never-reads-${i}` });
      c.stall();
      c.subscribeClusters(T.CLUSTER);
      clients.push(c);
    }
    // Every stream has been written its response and has either stalled (kept) or been reset.
    const gauges = async (): Promise<{ inFlight: number; stalled: number; stalledStreams: number; resets: number }> => {
      const s = parseMetrics(await server.metrics());
      return {
        inFlight: metricValue(s, 'xds_write_inflight_bytes', {}),
        stalled: metricValue(s, 'xds_write_stalled_bytes', {}),
        stalledStreams: metricValue(s, 'xds_write_stalled_streams', {}),
        resets: metricValue(s, 'xds_streams_rejected_total', { reason: 'stalled' }),
      };
    };
    let g = await gauges();
    await waitFor(
      async () => {
        g = await gauges();
        return g.inFlight === 0 && g.stalledStreams + g.resets >= CLIENTS;
      },
      4 * DEADLINE_MS,
      `every non-reading stream to stall or be reset (in flight ${g.inFlight} bytes, ${g.stalledStreams} stalled, ${g.resets} reset)`,
    );
    const held = await server.memory();
    const grew = retainedBytes(held) - retainedBytes(baseline);

    // A node that reads is not held up by them.
    await server.update(clusters(2_000, 20, 2));
    await reader.until(T.CLUSTER, (r) => hasClusterTimeout(r, 'big-0', 2), { timeoutMs: DEADLINE_MS, ack: true });

    const resetSeen = clients.filter((c) => c.resetCode !== undefined).length;
    console.log(
      `[fault] ${CLIENTS} non-reading streams, ${mib(responseBytes)} response each, --max-inflight-bytes ${mib(MAX_INFLIGHT)}, --max-stalled-bytes ${mib(MAX_STALLED)}: ` +
        `server retained +${mib(grew)} (heapUsed+external after GC; RSS ${mib(baseline.rss)} → ${mib(held.rss)}); ` +
        `stalled ledger ${mib(g.stalled)} in ${g.stalledStreams} streams, ${g.resets} streams reset (${resetSeen} clients saw RST_STREAM)`,
    );
    assert.ok(g.stalled <= MAX_STALLED, `stalled ledger ${g.stalled} bytes is over its limit`);
    assert.ok(g.resets > 0, 'some streams were reset to stay within the limit');
    // What stays held is the stalled ledger plus per-stream state (well under 100 KiB per stream).
    const allowed = MAX_STALLED + responseBytes + CLIENTS * 100 * 1024;
    assert.ok(grew < allowed, `server retained ${mib(grew)} for ${CLIENTS} non-reading clients; the bound is ${mib(allowed)}`);
    await waitFor(() => clients.filter((c) => c.resetCode !== undefined).length === g.resets, 5_000, 'every reset stream to be seen reset by its client');
  } finally {
    for (const c of clients) c.close();
    reader?.close();
    await server.stop();
  }
});

/**
 * @module test/fault/request-buffer.test
 * Requests announced but never finished (issue 9, item 6). grpc-js keeps the
 * bytes of an unfinished request message until it is whole, so a client can
 * make the server hold memory just by announcing large messages and sending
 * part of them. Unfinished request bytes stay within a per-connection and a
 * server-wide limit; the streams holding most are refused with
 * RESOURCE_EXHAUSTED naming the limit, and counted; ordinary clients,
 * including one sending a 100,000-name request, are served meanwhile. The
 * HTTP/2 limits (streams per connection, session memory) are in force.
 * The server runs in its own process so its memory is measured alone.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { createXdsServer } from '../../src/index';
import { silentLogger } from '../../src/observe/logger';
import { AdsClient } from '../helpers/ads-client';
import { cla, cluster, waitFor } from '../helpers/server';
import { T, adsPath } from '../helpers/service-paths';
import { encodeSotwRequest } from '../helpers/xds-codec';
import { metricValue, parseMetrics } from '../helpers/admin-scrape';
import { ChildServer, mib, retainedBytes } from '../helpers/child-server';
import type { Memory } from '../helpers/child-server';
import { PartialRequestConnection } from '../helpers/partial-requests';
import type { PartialStreamEnd } from '../helpers/partial-requests';
import { NODE_CHANNEL_OPTIONS } from '../helpers/raw-stream';
import { StallingClient } from '../helpers/stalling-client';

const MIB = 1024 * 1024;
/** Allowance over a limit for what else a connection costs (read buffers in flight, HTTP/2 and grpc-js state). */
const SLACK_BYTES = 8 * MIB;

function refusedBy(ends: readonly PartialStreamEnd[], flag: string): number {
  return ends.filter((e) => (e.grpcStatus === grpc.status.RESOURCE_EXHAUSTED && (e.grpcMessage ?? '').includes(flag)) || e.rstCode === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM).length;
}

async function rejected(server: ChildServer, reason: string): Promise<number> {
  return metricValue(parseMetrics(await server.metrics()), 'xds_streams_rejected_total', { reason });
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 500));
}

test('16 streams on one connection, each announcing 60 MiB and sending 16 MiB, hold no more than --max-connection-request-buffer-bytes: the largest are refused with RESOURCE_EXHAUSTED and counted', async () => {
  const server = await ChildServer.start();
  let hostile: PartialRequestConnection | undefined;
  try {
    await server.set([cluster('c0')]);
    const baseline = await server.memory();
    hostile = new PartialRequestConnection(server.port);
    await hostile.send(16, 60 * MIB, 16 * MIB);
    await settle();
    const held = await server.memory();
    const grew = retainedBytes(held) - retainedBytes(baseline);
    const ends = hostile.ends();
    const counted = await rejected(server, 'connection_request_buffer');
    console.log(
      `[fault] request buffer: 16 streams × 16 MiB of a 60 MiB message on one connection: server retained +${mib(grew)} ` +
        `(limit per connection 64 MiB; RSS ${mib(baseline.rss)} → ${mib(held.rss)}); ${counted} streams refused, ${hostile.open} still open`,
    );
    assert.ok(grew < 64 * MIB + SLACK_BYTES, `server retained ${mib(grew)} of unfinished requests from one connection`);
    assert.ok(counted > 0, 'refusals are counted');
    assert.ok(refusedBy(ends, '--max-connection-request-buffer-bytes') > 0, `refused streams end with RESOURCE_EXHAUSTED or ENHANCE_YOUR_CALM: ${JSON.stringify(ends.slice(0, 3))}`);
    const withStatus = ends.find((e) => e.grpcStatus === grpc.status.RESOURCE_EXHAUSTED);
    if (withStatus) assert.match(withStatus.grpcMessage ?? '', /--max-connection-request-buffer-bytes \(\d+ bytes\)/);
  } finally {
    hostile?.close();
    await server.stop();
  }
});

test('unfinished requests across connections stay within --max-request-buffer-bytes, and a 100,000-name request on another connection is answered meanwhile', async () => {
  const MAX_SERVER = 96 * MIB;
  const server = await ChildServer.start({ maxRequestBufferBytes: MAX_SERVER });
  const hostile: PartialRequestConnection[] = [];
  let client: AdsClient | undefined;
  try {
    const bigName = (i: number): string => `outbound|8080||service-${String(i).padStart(6, '0')}.namespace.svc.cluster.local`;
    await server.set([cla(bigName(7), [8080]), cla(bigName(99_999), [8080])]);
    const baseline: Memory = await server.memory();
    for (let i = 0; i < 4; i++) hostile.push(new PartialRequestConnection(server.port));
    await Promise.all(hostile.map((h) => h.send(4, 60 * MIB, 12 * MIB)));
    await settle();
    const held = await server.memory();
    const grew = retainedBytes(held) - retainedBytes(baseline);

    // An honest client with a big request (over 4 MiB) on its own connection.
    client = await AdsClient.connect(server.port, {
      variant: 'sotw',
      node: { id: 'honest' },
      channelOptions: { ...NODE_CHANNEL_OPTIONS, 'grpc.max_send_message_length': 64 * MIB },
    });
    const names = Array.from({ length: 100_000 }, (_, i) => bigName(i));
    client.subscribe(T.ENDPOINT, names);
    const r = await client.next(T.ENDPOINT, { timeoutMs: 30_000 });
    assert.ok(r.names.includes(bigName(99_999)));

    const counted = await rejected(server, 'request_buffer');
    console.log(
      `[fault] request buffer: 4 connections × 4 streams × 12 MiB of a 60 MiB message: server retained +${mib(grew)} (limit ${mib(MAX_SERVER)}); ` +
        `${counted} streams refused by the server-wide limit; a 100,000-name request on another connection was answered`,
    );
    assert.ok(grew < MAX_SERVER + SLACK_BYTES, `server retained ${mib(grew)} of unfinished requests`);
    assert.ok(counted > 0, 'refusals by the server-wide limit are counted');
    assert.ok(
      refusedBy(
        hostile.flatMap((h) => h.ends()),
        '--max-request-buffer-bytes',
      ) > 0,
    );
  } finally {
    client?.close();
    for (const h of hostile) h.close();
    await server.stop();
  }
});

test('one connection gets at most --max-concurrent-streams streams at once: the limit is announced in SETTINGS and a sixth stream is not served', async () => {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger: silentLogger(), maxConcurrentStreams: 5 });
  await server.setResources([cluster('c0')]);
  const session = http2.connect(`http://127.0.0.1:${server.port}`);
  session.on('error', () => {});
  try {
    await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
    assert.equal(session.remoteSettings.maxConcurrentStreams, 5, 'the limit is announced in SETTINGS');
    const node = (i: number): Buffer => encodeSotwRequest({ typeUrl: T.CLUSTER, resourceNames: [] }, { id: `n-${i}` });
    for (let i = 0; i < 6; i++) {
      const s = session.request({ ':method': 'POST', ':path': adsPath('sotw'), 'content-type': 'application/grpc', te: 'trailers' });
      s.on('error', () => {});
      s.on('data', () => {});
      const message = node(i);
      const header = Buffer.alloc(5);
      header.writeUInt32BE(message.length, 1);
      s.write(Buffer.concat([header, message]));
    }
    // Five served (waited for: on a busy machine a fixed second may not see them all), then a second for a sixth to show.
    await waitFor(() => server.stats().streams.sotw >= 5, 10_000, 'five streams to be served');
    await new Promise((r) => setTimeout(r, 1_000));
    // The client's HTTP/2 layer holds the sixth until a slot frees; a client that ignored SETTINGS would get REFUSED_STREAM.
    assert.equal(server.stats().streams.sotw, 5, 'five streams served on the connection, not six');
  } finally {
    session.destroy();
    await server.stop();
  }
});

test('a connection whose HTTP/2 session holds more than --max-session-memory-mb of queued responses gets no new streams', async () => {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger: silentLogger(), maxSessionMemoryMb: 1 });
  let stalled: StallingClient | undefined;
  try {
    // About 1.1 MiB of clusters: queued unread on the stalled stream, over the 1 MB session limit.
    const endpoints = (i: number): unknown[] =>
      Array.from({ length: 20 }, (_, e) => ({ endpoint: { address: { socket_address: { address: `10.${i >> 8}.${i & 255}.${e}`, port_value: 8000 + e } } } }));
    await server.setResources(Array.from({ length: 2_000 }, (_, i) => ({ ...cluster(`c-${i}`), load_assignment: { cluster_name: `c-${i}`, endpoints: [{ lb_endpoints: endpoints(i) }] } })));
    stalled = new StallingClient(server.port, 'sotw', { id: 'stalled' });
    stalled.stall();
    stalled.subscribeClusters(T.CLUSTER);
    // The second starts once the clusters are written to the stalled stream (a fixed second from the request could
    // come before that on a busy machine, and the new stream would then be served).
    await waitFor(() => server.stats().responsesSent >= 1, 10_000, 'the clusters to be written to the stalled stream');
    await new Promise((r) => setTimeout(r, 1_000));
    const second = stalled.openExtraStream();
    const code = await new Promise<number>((resolve) => {
      second.once('close', () => resolve(second.rstCode ?? -1));
      setTimeout(() => resolve(-1), 3_000);
    });
    assert.equal(code, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 'the new stream is reset with ENHANCE_YOUR_CALM');
  } finally {
    stalled?.close();
    await server.stop();
  }
});

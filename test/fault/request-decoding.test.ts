/**
 * @module test/fault/request-decoding.test
 * Every request of every discovery service is decoded strictly: malformed
 * bytes end that stream (and only that one) with INVALID_ARGUMENT and are
 * counted in /metrics; a request with millions of names is refused as soon
 * as the names limit is crossed, without stalling the other streams of the
 * server while it is decoded.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { createXdsServer } from '../../src/index';
import { startAdminServer } from '../../src/admin/admin-server';
import { silentLogger } from '../../src/observe/logger';
import { DISCOVERY_SERVICES } from '../../src/transport';
import { AdsClient } from '../helpers/ads-client';
import type { Variant } from '../helpers/ads-client';
import { cla, cluster, delay } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { metricValue, scrape } from '../helpers/admin-scrape';
import { ChildServer } from '../helpers/child-server';
import { NODE_CHANNEL_OPTIONS } from '../helpers/raw-stream';

const DEADLINE_MS = 10_000;

/** Malformed request bytes, each with what is wrong with it. */
const MALFORMED: readonly { readonly what: string; readonly bytes: Buffer }[] = [
  // Field 2 (delta type_url, SotW node) and field 4 (SotW type_url): a string that claims 100 bytes and has 3.
  { what: 'field 2 claims 100 bytes and has 3', bytes: Buffer.from('1264616263', 'hex') },
  { what: 'field 4 claims 100 bytes and has 3', bytes: Buffer.from('2264616263', 'hex') },
  // An 11-byte varint as the length of field 2.
  { what: 'an 11-byte varint', bytes: Buffer.from('12ffffffffffffffffffff01', 'hex') },
  // Field 2 sent as fixed32 (wire type 5): both requests declare it length-delimited.
  { what: 'field 2 with the wrong wire type', bytes: Buffer.from('1561626364', 'hex') },
  // A valid request, then a group start (wire type 3), which proto3 does not use.
  { what: 'a group field', bytes: Buffer.from('0b', 'hex') },
];

/** Every bidi discovery method the server registers: [path, variant]. */
function everyDiscoveryMethod(): [string, Variant][] {
  const out: [string, Variant][] = [];
  for (const s of DISCOVERY_SERVICES) {
    if (s.sotw) out.push([`/${s.service}/${s.sotw}`, 'sotw']);
    if (s.delta) out.push([`/${s.service}/${s.delta}`, 'delta']);
  }
  return out;
}

test('malformed request bytes on any discovery method, SotW or delta, end only that stream with INVALID_ARGUMENT, and /metrics counts each', async () => {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger: silentLogger(), allowDanglingReferences: true });
  const admin = await startAdminServer(server.internals, '127.0.0.1', 0, silentLogger());
  const clients: AdsClient[] = [];
  try {
    assert.ok((await server.setResources([cluster('dec-a')])).ok);
    const calm = await AdsClient.connect(server.port, { variant: 'delta', node: { id: 'calm' }, channelOptions: NODE_CHANNEL_OPTIONS });
    clients.push(calm);
    await calm.fetch(T.CLUSTER, []);
    const malformedBefore = metricValue(await scrape(admin.port), 'xds_streams_rejected_total', { reason: 'malformed' });

    const methods = everyDiscoveryMethod();
    const accepted: string[] = [];
    for (const [path, variant] of methods) {
      for (const bad of MALFORMED) {
        const c = await AdsClient.connect(server.port, { variant, path, node: null, channelOptions: NODE_CHANNEL_OPTIONS });
        clients.push(c);
        c.sendRaw(bad.bytes);
        // The stream must end: wait the full deadline for it (a busy machine can take more than a second), not a fixed second.
        const status = await c.ended(DEADLINE_MS).catch(() => undefined);
        if (!status) accepted.push(`${path} accepted ${bad.what} (${bad.bytes.toString('hex')}): the stream stayed open`);
        else if (status.code !== grpc.status.INVALID_ARGUMENT || !/not a valid/.test(status.details)) {
          accepted.push(`${path}, ${bad.what}: ended with ${grpc.status[status.code]} "${status.details}"`);
        }
        c.close();
      }
    }
    assert.deepEqual(accepted, [], `every malformed request must end its stream with INVALID_ARGUMENT:\n  ${accepted.join('\n  ')}`);

    const refused = metricValue(await scrape(admin.port), 'xds_streams_rejected_total', { reason: 'malformed' }) - malformedBefore;
    assert.equal(refused, methods.length * MALFORMED.length, 'xds_streams_rejected_total{reason="malformed"} counts every refused stream');

    assert.ok((await server.updateResources({ upsert: [cluster('dec-a', { timeoutSeconds: 7 })] })).ok);
    const pushed = await calm.next(T.CLUSTER, { timeoutMs: DEADLINE_MS });
    assert.ok(pushed.names.includes('dec-a'), 'the calm stream still gets updates');
    assert.equal(calm.status, undefined, 'the calm stream is still open');
    console.log(`[fault] strict decoding: ${methods.length} discovery methods × ${MALFORMED.length} malformed requests → INVALID_ARGUMENT each, counted as reason="malformed"`);
  } finally {
    for (const c of clients) c.close();
    await admin.close();
    await server.stop();
  }
});

test('a node with more repeated entries than the node limit ends its stream with RESOURCE_EXHAUSTED naming the flag, counted in /metrics; a node within it is served', async () => {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger: silentLogger(), limits: { maxNodeEntries: 20 } });
  const admin = await startAdminServer(server.internals, '127.0.0.1', 0, silentLogger());
  const clients: AdsClient[] = [];
  try {
    assert.ok((await server.setResources([cluster('node-a')])).ok);
    const metadata = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key-${i}`, 'value']));
    for (const variant of ['sotw', 'delta'] as const) {
      const big = await AdsClient.connect(server.port, { variant, node: { id: `big-${variant}`, metadata: metadata(21) }, channelOptions: NODE_CHANNEL_OPTIONS });
      const fine = await AdsClient.connect(server.port, { variant, node: { id: `fine-${variant}`, metadata: metadata(20) }, channelOptions: NODE_CHANNEL_OPTIONS });
      clients.push(big, fine);
      big.subscribe(T.CLUSTER, []);
      const status = await big.ended(DEADLINE_MS);
      assert.equal(grpc.status[status.code], 'RESOURCE_EXHAUSTED', status.details);
      assert.match(status.details, /node holds more than 20 repeated entries.*--max-node-entries/);
      const r = await fine.fetch(T.CLUSTER, []);
      assert.deepEqual(r.names, ['node-a']);
    }
    assert.equal(metricValue(await scrape(admin.port), 'xds_streams_rejected_total', { reason: 'node-entries' }), 2);
  } finally {
    for (const c of clients) c.close();
    await admin.close();
    await server.stop();
  }
});

/** Names in the oversized request: 2 million, as in the report that found the stall. */
const HUGE_NAMES = 2_000_000;

/**
 * A delta EDS request with `count` initial_resource_versions entries
 * (`n<i>` → `v1`), built by hand: encoding 2 million map entries through
 * protobufjs takes longer than the test.
 */
function hugeInitialVersionsRequest(count: number): Buffer {
  const typeUrl = Buffer.from(T.ENDPOINT);
  const parts: Buffer[] = [Buffer.from([0x12, typeUrl.length]), typeUrl];
  const chunk = Buffer.allocUnsafe(count * 16);
  let o = 0;
  for (let i = 0; i < count; i++) {
    const name = `n${i.toString(36)}`;
    chunk[o++] = 0x2a; // field 5, length-delimited
    chunk[o++] = name.length + 6;
    chunk[o++] = 0x0a; // entry key
    chunk[o++] = name.length;
    o += chunk.write(name, o, 'latin1');
    chunk[o++] = 0x12; // entry value
    chunk[o++] = 2;
    chunk[o++] = 0x76; // 'v'
    chunk[o++] = 0x31; // '1'
  }
  parts.push(chunk.subarray(0, o));
  return Buffer.concat(parts);
}

test('a delta request with 2 million initial_resource_versions entries is refused with RESOURCE_EXHAUSTED at once, and another stream keeps answering meanwhile', async () => {
  const server = await ChildServer.start();
  const clients: AdsClient[] = [];
  try {
    await server.set([cluster('huge-a', { eds: true }), cla('huge-a', [8080])]);
    const calm = await AdsClient.connect(server.port, { variant: 'delta', node: { id: 'calm' }, channelOptions: NODE_CHANNEL_OPTIONS });
    clients.push(calm);
    await calm.fetch(T.CLUSTER, []);
    const greedy = await AdsClient.connect(server.port, { variant: 'delta', node: { id: 'greedy' }, channelOptions: NODE_CHANNEL_OPTIONS });
    clients.push(greedy);
    const request = hugeInitialVersionsRequest(HUGE_NAMES);

    // The calm stream asks for a missing name again and again; each answer (removed_resources) is a round trip through the server's event loop.
    let worstRoundTripMs = 0;
    let pings = 0;
    let refused = false;
    const ping = async (): Promise<void> => {
      const sent = performance.now();
      calm.send({ typeUrl: T.ENDPOINT, resourceNamesSubscribe: [`ghost-${pings++}`] });
      calm.ack(await calm.next(T.ENDPOINT, { timeoutMs: 30_000 }));
      worstRoundTripMs = Math.max(worstRoundTripMs, performance.now() - sent);
      await delay(10);
    };
    const pinging = (async () => {
      while (!refused) await ping();
      for (let i = 0; i < 3; i++) await ping();
    })();
    await delay(100);
    const sentAt = performance.now();
    greedy.sendRaw(request);
    const status = await greedy.ended(60_000);
    const refusedMs = performance.now() - sentAt;
    refused = true;
    await pinging;

    console.log(
      `[fault] ${HUGE_NAMES} initial_resource_versions entries (${(request.length / 1048576).toFixed(1)} MiB): ${grpc.status[status.code]} after ${refusedMs.toFixed(0)} ms ` +
        `(sending included); worst round trip of a calm stream meanwhile ${worstRoundTripMs.toFixed(0)} ms over ${pings} pings`,
    );
    assert.equal(grpc.status[status.code], 'RESOURCE_EXHAUSTED', status.details);
    assert.match(status.details, /max-names-per-request/, 'the refusal says which limit and how to raise it');
    assert.ok(refusedMs < 3_000, `refused after ${refusedMs.toFixed(0)} ms; counting while decoding refuses within a second or so`);
    assert.ok(worstRoundTripMs < 1_500, `a calm stream waited ${worstRoundTripMs.toFixed(0)} ms for an answer while the oversized request was decoded`);
    assert.equal(calm.status, undefined, 'the calm stream is still open');
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
});

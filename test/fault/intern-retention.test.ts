/**
 * @module test/fault/intern-retention.test
 * Caches that intern client content (type URLs, resource-name lists, name
 * sets) let go of it once no open stream uses it: after streams that sent
 * distinct 1 MiB type URLs and 1 MiB name lists have closed, the server's
 * retained memory is back near where it was. The server runs in its own
 * process with --expose-gc (see ./child-server), so readings are taken
 * after forced full collections.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AdsClient } from '../helpers/ads-client';
import type { Variant } from '../helpers/ads-client';
import { cluster, delay } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { ChildServer, mib, retainedBytes } from '../helpers/child-server';
import { NODE_CHANNEL_OPTIONS } from '../helpers/raw-stream';

const MIB = 1024 * 1024;
/** Streams per variant; each sends three distinct 1 MiB strings (two type URLs, one name list). */
const STREAMS_PER_VARIANT = 8;
const DEADLINE_MS = 30_000;
/** Retained growth allowed after every stream left: a few MiB of noise against the 48 MiB sent. */
const ALLOWED_GROWTH_BYTES = 8 * MIB;
const BIG_LIMITS = { 'grpc.max_send_message_length': 64 * MIB, 'grpc.max_receive_message_length': 64 * MIB };

/** A distinct string of about `bytes` bytes. */
function filler(tag: string, bytes: number): string {
  return `${tag}-${'x'.repeat(bytes - tag.length - 1)}`;
}

/** A distinct list of names adding up to about `bytes` bytes. */
function nameList(tag: string, bytes: number): string[] {
  const names: string[] = [];
  for (let total = 0; total < bytes; total += 64) names.push(`${tag}-${String(names.length).padStart(8, '0')}`.padEnd(62, '.'));
  return names;
}

/**
 * One stream that requests an unknown type with a 1 MiB name, a known type
 * behind a 1 MiB prefix, and 1 MiB of endpoint names, then closes. The CDS
 * answer at the end proves the server read the earlier requests (a stream's
 * requests are handled in order).
 */
async function visit(port: number, variant: Variant, tag: string, size: number): Promise<void> {
  const c = await AdsClient.connect(port, { variant, node: { id: tag }, channelOptions: { ...NODE_CHANNEL_OPTIONS, ...BIG_LIMITS } });
  try {
    const unknownType = `type.googleapis.com/${filler(`junk.${tag}`, size)}`;
    const prefixedType = `${filler(tag, size)}/envoy.config.cluster.v3.Cluster`;
    for (const typeUrl of [unknownType, prefixedType]) {
      c.send(variant === 'sotw' ? { typeUrl, resourceNames: ['x'] } : { typeUrl, resourceNamesSubscribe: ['x'] });
    }
    const names = nameList(tag, size);
    c.send(variant === 'sotw' ? { typeUrl: T.ENDPOINT, resourceNames: names } : { typeUrl: T.ENDPOINT, resourceNamesSubscribe: names });
    await c.fetch(T.CLUSTER, [], { timeoutMs: DEADLINE_MS });
  } finally {
    c.close();
  }
}

async function waitForNoStreams(server: ChildServer): Promise<void> {
  const deadline = performance.now() + DEADLINE_MS;
  for (;;) {
    const s = await server.stats();
    if (s.streams.sotw + s.streams.delta === 0) return;
    if (performance.now() > deadline) throw new Error(`server still counts ${s.streams.sotw + s.streams.delta} streams after every client left`);
    await delay(50);
  }
}

async function wave(server: ChildServer, round: string, size: number): Promise<void> {
  for (const variant of ['sotw', 'delta'] as const) {
    for (let i = 0; i < STREAMS_PER_VARIANT; i++) await visit(server.port, variant, `${round}-${variant}-${i}`, size);
  }
  await waitForNoStreams(server);
  await delay(500);
}

test('distinct 1 MiB type URLs and name lists from streams that have closed do not stay in the server memory', async () => {
  const server = await ChildServer.start();
  try {
    await server.set([cluster('ret-a')]);
    // Warm up lazily built state (proto tables, code paths) with small requests of the same shape.
    await wave(server, 'warm', 4096);
    const baseline = await server.memory();
    await wave(server, 'big', MIB);
    const after = await server.memory();
    const sent = 2 * STREAMS_PER_VARIANT * 3 * MIB;
    const growth = retainedBytes(after) - retainedBytes(baseline);
    console.log(
      `[fault] interning: ${2 * STREAMS_PER_VARIANT} streams sent ${mib(sent)} of distinct type URLs and name lists, then closed; ` +
        `retained (heapUsed+external after forced GC) ${mib(retainedBytes(baseline))} → ${mib(retainedBytes(after))} (${growth >= 0 ? '+' : ''}${mib(growth)})`,
    );
    assert.ok(growth < ALLOWED_GROWTH_BYTES, `the server kept ${mib(growth)} of the ${mib(sent)} that closed streams sent`);
  } finally {
    await server.stop();
  }
});

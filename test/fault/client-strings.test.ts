/**
 * @module test/fault/client-strings.test
 * Strings a client writes (node id and cluster, NACK message, version, type
 * URL) reach log lines and `/nodes`. A hostile or broken client sending a
 * megabyte of control characters must not turn into multi-megabyte log
 * lines (pino escapes each control character as six bytes) or a status page
 * that holds and serves megabytes per stream.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import pino from 'pino';
import { createXdsServer } from '../../src/index';
import { startAdminServer } from '../../src/admin/admin-server';
import { silentLogger } from '../../src/observe/logger';
import { AdsClient } from '../helpers/ads-client';
import { cluster, waitFor } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { httpGet } from '../helpers/admin-scrape';

const MIB = 1024 * 1024;
/** A log line or `/nodes` entry carrying a client string may be this long at most. */
const MAX_LINE_BYTES = 8 * 1024;

/** `n` control characters: the worst case for a JSON log (each becomes `\u00XX`). */
function controls(n: number): string {
  return '\u0001\u001b\n'.repeat(Math.ceil(n / 3)).slice(0, n);
}

test('a NACK, node id and type URL made of a megabyte of control characters give log lines and a /nodes page of a few KiB that still say how long the original was', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger, allowDanglingReferences: true });
  const admin = await startAdminServer(server.internals, '127.0.0.1', 0, silentLogger());
  const clients: AdsClient[] = [];
  try {
    assert.ok((await server.setResources([cluster('c0')])).ok);
    const node = { id: `hostile-${controls(64 * 1024)}`, cluster: controls(64 * 1024) };
    const c = await AdsClient.connect(server.port, { variant: 'sotw', node });
    clients.push(c);
    const r = await c.fetch(T.CLUSTER, []);
    const message = controls(MIB);
    c.nack(r, message, { version: controls(MIB) });
    await waitFor(() => lines.some((l) => l.includes('"msg":"NACK"')), 5_000, 'the NACK log line');
    const nodes = await httpGet(admin.port, '/nodes');

    // A per-type service asked for another type: the error names the requested type URL.
    const perType = await AdsClient.connect(server.port, {
      variant: 'delta',
      service: 'per-type',
      typeUrl: T.CLUSTER,
      node: { id: 'per-type' },
      channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
    });
    clients.push(perType);
    perType.send({ typeUrl: `type.googleapis.com/${controls(MIB)}` });
    // Before the fix, 3 MiB of percent-encoded details never made it into a trailer: the stream just hung.
    const status = await perType.ended(5_000).catch((err: Error) => err);
    await waitFor(() => lines.some((l) => l.includes('ending stream on a bad request')), 5_000, 'the bad-request log line');

    const nack = lines.find((l) => l.includes('"msg":"NACK"')) ?? '';
    const longest = Math.max(...lines.map((l) => l.length));
    console.log(
      `[fault] client strings: NACK of ${message.length} control characters and a ${MIB}-char version → NACK log line ${nack.length} bytes; ` +
        `longest of ${lines.length} log lines ${longest} bytes; /nodes ${nodes.body.length} bytes`,
    );
    assert.ok(!(status instanceof Error), `the per-type stream did not end with a status: ${String(status)}`);
    assert.ok(status.details.length < MAX_LINE_BYTES, `status details are ${status.details.length} bytes`);
    for (const l of lines) assert.ok(l.length < MAX_LINE_BYTES, `a log line is ${l.length} bytes: ${l.slice(0, 200)}…`);
    assert.match(nack, new RegExp(`\\(${MIB} chars\\)`), 'the NACK line says how long the message was');
    assert.match(nack, /\\\\x01\\\\x1b\\\\n/, 'control characters are shown escaped');
    assert.ok(nodes.body.length < 4 * MAX_LINE_BYTES, `/nodes is ${nodes.body.length} bytes`);
    const entry = (JSON.parse(nodes.body) as { nodes: { id: string; types: Record<string, { lastNack?: { message: string } }> }[] }).nodes[0];
    assert.ok(entry?.id.startsWith('hostile-'), '/nodes still shows the node id');
    assert.match(entry?.types[T.CLUSTER]?.lastNack?.message ?? '', new RegExp(`\\(${MIB} chars\\)$`));
  } finally {
    for (const c of clients) c.close();
    await admin.close();
    await server.stop();
  }
});

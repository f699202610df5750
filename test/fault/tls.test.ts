/**
 * @module test/fault/tls.test
 * TLS and mTLS on the xDS port, and the identity check that ties a node id
 * to its client certificate's SAN. Certificates are generated at test time
 * with `openssl` (./certs); without it these tests fail and say so.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { cluster, startServer } from '../helpers/server';
import type { TestServer } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { makeTestPki, SPIFFE_PREFIX } from '../helpers/certs';
import type { KeyPair, TestPki } from '../helpers/certs';
import { RawXdsStream } from '../helpers/raw-stream';
import type { Variant } from '../helpers/xds-codec';

const DEADLINE_MS = 8_000;
const IDENTITY_PATTERN = `^${SPIFFE_PREFIX.replace(/[.]/g, '\\.')}(.+)$`;

let pki: TestPki;

before(() => {
  pki = makeTestPki(['node-a', 'node-b']);
});
after(() => pki?.remove());

function tlsCredentials(ca: Buffer, client?: KeyPair): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(ca, client?.key ?? null, client?.cert ?? null);
}

/** Open a stream, ask for every cluster; resolves with the CDS response or the final status. */
async function attempt(port: number, variant: Variant, nodeId: string, credentials: grpc.ChannelCredentials): Promise<{ names?: readonly string[]; status?: grpc.StatusObject }> {
  // The server certificate names DNS localhost too; overriding the TLS name avoids SNI with an IP address (DEP0123).
  const s = new RawXdsStream({ port, variant, node: { id: nodeId }, credentials, channelOptions: { 'grpc.ssl_target_name_override': 'localhost' } });
  const started = performance.now();
  try {
    s.subscribeWildcard(T.CLUSTER);
    const outcome = await Promise.race([s.waitFor((r) => r.typeUrl === T.CLUSTER, DEADLINE_MS, 'CDS response').then((r) => ({ names: r.names })), s.ended(DEADLINE_MS).then((status) => ({ status }))]);
    if (process.env['FAULT_DEBUG']) console.log(`attempt ${nodeId} ${variant}: ${(performance.now() - started).toFixed(0)} ms`);
    return outcome;
  } finally {
    s.close();
  }
}

function expectServed(outcome: { names?: readonly string[]; status?: grpc.StatusObject }, what: string): void {
  assert.deepEqual(outcome.names, ['tls-c0'], `${what}: expected the config, got ${outcome.status ? `${grpc.status[outcome.status.code]} "${outcome.status.details}"` : 'nothing'}`);
}

function expectRefused(outcome: { names?: readonly string[]; status?: grpc.StatusObject }, code: grpc.status, what: string): void {
  assert.equal(outcome.names, undefined, `${what}: must not receive any config`);
  assert.ok(outcome.status, `${what}: the stream must end`);
  assert.equal(grpc.status[outcome.status.code], grpc.status[code], `${what}: ended with "${outcome.status.details}"`);
  console.log(`[fault] TLS: ${what} → ${grpc.status[outcome.status.code]} "${outcome.status.details.slice(0, 160)}"`);
}

async function withServer(options: Parameters<typeof startServer>[0], body: (ts: TestServer) => Promise<void>): Promise<void> {
  const ts = await startServer({ ...options, resources: [cluster('tls-c0')] });
  try {
    await body(ts);
  } finally {
    await ts.stop();
  }
}

test('TLS: a client trusting the server CA gets its config; a plaintext client and a client trusting another CA fail the handshake (UNAVAILABLE)', async () => {
  await withServer({ tls: { cert: pki.server.cert, key: pki.server.key } }, async (ts) => {
    expectServed(await attempt(ts.port, 'sotw', 'node-a', tlsCredentials(pki.ca)), 'TLS client trusting the CA');
    expectServed(await attempt(ts.port, 'delta', 'node-a', tlsCredentials(pki.ca)), 'delta TLS client trusting the CA');
    expectRefused(await attempt(ts.port, 'sotw', 'node-a', grpc.credentials.createInsecure()), grpc.status.UNAVAILABLE, 'plaintext client on the TLS port');
    expectRefused(await attempt(ts.port, 'sotw', 'node-a', tlsCredentials(pki.otherCa)), grpc.status.UNAVAILABLE, 'client trusting the wrong CA');
    assert.deepEqual(ts.server.stats().streams, { sotw: 0, delta: 0 }, 'no stream left open');
  });
});

test('mTLS: a client certificate from the client CA is served; no certificate, or one from another CA, fails the handshake', async () => {
  await withServer({ tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca } }, async (ts) => {
    expectServed(await attempt(ts.port, 'sotw', 'node-a', tlsCredentials(pki.ca, pki.clients['node-a'])), 'mTLS client with a good certificate');
    expectRefused(await attempt(ts.port, 'sotw', 'node-a', tlsCredentials(pki.ca)), grpc.status.UNAVAILABLE, 'mTLS client without a certificate');
    expectRefused(await attempt(ts.port, 'sotw', 'intruder', tlsCredentials(pki.ca, pki.foreignClient)), grpc.status.UNAVAILABLE, 'mTLS client with a certificate from another CA');
    expectRefused(await attempt(ts.port, 'delta', 'node-a', tlsCredentials(pki.otherCa, pki.clients['node-a'])), grpc.status.UNAVAILABLE, 'mTLS client trusting the wrong server CA');
  });
});

for (const variant of ['sotw', 'delta'] as const) {
  test(`identity (${variant}): a node id equal to its certificate's SPIFFE id is served; any other node id ends with PERMISSION_DENIED`, async () => {
    await withServer({ tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca }, nodeIdSanPattern: IDENTITY_PATTERN }, async (ts) => {
      expectServed(await attempt(ts.port, variant, 'node-a', tlsCredentials(pki.ca, pki.clients['node-a'])), 'node-a with the node-a certificate');
      expectServed(await attempt(ts.port, variant, 'node-b', tlsCredentials(pki.ca, pki.clients['node-b'])), 'node-b with the node-b certificate');
      expectRefused(
        await attempt(ts.port, variant, 'node-b', tlsCredentials(pki.ca, pki.clients['node-a'])),
        grpc.status.PERMISSION_DENIED,
        `${variant} node-b claiming its id with the node-a certificate`,
      );
      expectRefused(await attempt(ts.port, variant, '', tlsCredentials(pki.ca, pki.clients['node-a'])), grpc.status.PERMISSION_DENIED, `${variant} empty node id with the node-a certificate`);
    });
  });
}

test('the identity check is refused at startup without mTLS (it would otherwise check nothing)', async () => {
  await assert.rejects(startServer({ tls: { cert: pki.server.cert, key: pki.server.key }, nodeIdSanPattern: IDENTITY_PATTERN }), /needs mTLS/);
});

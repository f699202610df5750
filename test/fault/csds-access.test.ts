/**
 * @module test/fault/csds-access.test
 * CSDS is not a side door around the identity check: with mTLS and
 * `nodeIdSanPattern`, a caller holding node-a's certificate sees node-a only
 * (never node-b), a certificate matching the admin pattern sees every node,
 * and nobody ever receives a private key: a Secret's key and a key inlined
 * in a Listener's TLS context (inside an Any) come back as `[redacted]`,
 * while the certificate chain and non-secret resources come back intact.
 * Certificates are generated at test time with `openssl` (./certs).
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '../../src/xds/proto-root';
import { cluster, listener, startServer } from '../helpers/server';
import type { TestServer } from '../helpers/server';
import type { ResourceJson } from '../../src/api-types';
import { T } from '../helpers/service-paths';
import { CsdsClient, csdsError, nodeIds } from '../helpers/csds-client';
import type { CsdsAnswer } from '../helpers/csds-client';
import { makeTestPki, SPIFFE_PREFIX } from '../helpers/certs';
import type { KeyPair, TestPki } from '../helpers/certs';
import { RawXdsStream } from '../helpers/raw-stream';

const DEADLINE_MS = 8_000;
const IDENTITY_PATTERN = `^${SPIFFE_PREFIX.replace(/[.]/g, '\\.')}(.+)$`;
const ADMIN_PATTERN = `^${SPIFFE_PREFIX.replace(/[.]/g, '\\.')}csds-admin$`;
const TLS_NAME = { 'grpc.ssl_target_name_override': 'localhost' };
const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

let pki: TestPki;

before(() => {
  pki = makeTestPki(['node-a', 'node-b', 'csds-admin', 'stranger']);
});
after(() => pki?.remove());

/** The first base64 line of a PEM private key: if these bytes leave the server, the key did. */
function keyMaterial(key: Buffer): string {
  const line = key
    .toString('utf8')
    .split('\n')
    .find((l) => l !== '' && !l.startsWith('-----'));
  assert.ok(line && line.length >= 40, 'the test key has a base64 body');
  return line;
}

function resources(): ResourceJson[] {
  const certificate = { certificate_chain: { inline_string: pki.server.cert.toString('utf8') }, private_key: { inline_string: pki.server.key.toString('utf8') } };
  const tlsListener = listener('tls-listener', 'some-route');
  const [chain] = tlsListener['filter_chains'] as Record<string, unknown>[];
  const transportSocket = { name: 'envoy.transport_sockets.tls', typed_config: { '@type': DOWNSTREAM_TLS, common_tls_context: { tls_certificates: [certificate] } } };
  return [cluster('shared-cluster'), { '@type': T.SECRET, name: 'server-cert', tls_certificate: certificate }, { ...tlsListener, filter_chains: [{ ...chain, transport_socket: transportSocket }] }];
}

function credentials(client: KeyPair): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(pki.ca, client.key, client.cert);
}

/** A node on mTLS that subscribes to every cluster and listener and to the Secret, and has received all three. */
async function connectNode(port: number, id: string): Promise<RawXdsStream> {
  const client = pki.clients[id];
  assert.ok(client);
  const s = new RawXdsStream({ port, variant: 'sotw', node: { id }, credentials: credentials(client), channelOptions: TLS_NAME, autoAck: true });
  s.subscribeWildcard(T.CLUSTER);
  s.subscribeWildcard(T.LISTENER);
  s.send({ typeUrl: T.SECRET, resourceNames: ['server-cert'] });
  for (const typeUrl of [T.CLUSTER, T.LISTENER, T.SECRET]) await s.waitFor((r) => r.typeUrl === typeUrl, DEADLINE_MS, `${id}: first ${typeUrl}`);
  return s;
}

function csdsAs(port: number, id: string): CsdsClient {
  const client = pki.clients[id];
  assert.ok(client);
  return new CsdsClient(port, { credentials: credentials(client), channelOptions: TLS_NAME });
}

/** No private key byte in the answer, and the places that held one say `[redacted]`. */
function assertNoKeys(answer: CsdsAnswer, what: string): void {
  const text = answer.bytes.toString('latin1');
  assert.ok(!text.includes(keyMaterial(pki.server.key)), `${what}: the private key must not appear in the CSDS answer`);
  assert.ok(!text.includes('PRIVATE KEY'), `${what}: no PEM private key block at all`);
}

/** The decoded body of one resource in an answer. */
function body(answer: CsdsAnswer, node: string, typeUrl: string, name: string): Record<string, unknown> | undefined {
  const entry = answer.config.find((c) => c.node?.id === node)?.genericXdsConfigs?.find((g) => g.typeUrl === typeUrl && g.name === name);
  const any = entry?.xdsConfig;
  if (!any?.value) return undefined;
  assert.equal(any.type_url, typeUrl, 'xds_config is an Any of the resource type');
  const type = loadProtoRoot().lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  return type.toObject(type.decode(any.value), { bytes: String }) as Record<string, unknown>;
}

async function withMtlsServer(run: (ts: TestServer) => Promise<void>): Promise<void> {
  const ts = await startServer({
    resources: resources(),
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca },
    nodeIdSanPattern: IDENTITY_PATTERN,
    csds: { adminSanPattern: ADMIN_PATTERN, requestsPerSecond: 1_000 },
  });
  try {
    await run(ts);
  } finally {
    await ts.stop();
  }
}

test("CSDS with node identities: node-a's certificate sees node-a only, never node-b, on both CSDS methods", async () => {
  await withMtlsServer(async (ts) => {
    const a = await connectNode(ts.port, 'node-a');
    const b = await connectNode(ts.port, 'node-b');
    const asA = csdsAs(ts.port, 'node-a');
    try {
      const all = await asA.fetch({});
      assert.deepEqual(nodeIds(all), ['node-a'], 'an unfiltered request from node-a shows node-a alone');
      assert.deepEqual(nodeIds(await asA.fetchNode('node-b')), [], 'asking for node-b by name shows nothing');
      assert.deepEqual(nodeIds(await asA.fetch({ nodeMatchers: [{ nodeId: { prefix: 'node-' } }] })), ['node-a'], 'a prefix matching both shows node-a alone');
      const streamed = await asA.stream([{}, { nodeMatchers: [{ nodeId: { exact: 'node-b' } }] }]);
      assert.equal(streamed.status.code, grpc.status.OK, streamed.status.details);
      assert.deepEqual(streamed.answers.map(nodeIds), [['node-a'], []], 'StreamClientStatus is bound to the same identity');
      const stranger = csdsAs(ts.port, 'stranger');
      assert.deepEqual(nodeIds(await stranger.fetch({})), [], 'a certificate naming a node that is not connected sees nothing');
      stranger.close();
      assertNoKeys(all, 'node-a');
    } finally {
      asA.close();
      a.close();
      b.close();
    }
  });
});

test('CSDS with node identities: a certificate matching the admin pattern sees every node, with private keys redacted and everything else intact', async () => {
  await withMtlsServer(async (ts) => {
    const a = await connectNode(ts.port, 'node-a');
    const b = await connectNode(ts.port, 'node-b');
    const admin = csdsAs(ts.port, 'csds-admin');
    try {
      const all = await admin.fetch({});
      assert.deepEqual(nodeIds(all), ['node-a', 'node-b']);
      assertNoKeys(all, 'admin');
      const secret = body(all, 'node-b', T.SECRET, 'server-cert') as { tlsCertificate?: { privateKey?: { inlineString?: string }; certificateChain?: { inlineString?: string } } } | undefined;
      assert.equal(secret?.tlsCertificate?.privateKey?.inlineString, '[redacted]', "the Secret's private key is redacted, as Envoy's config_dump does");
      assert.equal(secret?.tlsCertificate?.certificateChain?.inlineString, pki.server.cert.toString('utf8'), 'the certificate chain (not secret) is shown');
      const listenerBody = body(all, 'node-a', T.LISTENER, 'tls-listener') as { filterChains?: { transportSocket?: { typedConfig?: { value?: string } } }[] } | undefined;
      const tlsContextBytes = Buffer.from(listenerBody?.filterChains?.[0]?.transportSocket?.typedConfig?.value ?? '', 'base64');
      const DownstreamTls = loadProtoRoot().lookupType(DOWNSTREAM_TLS.slice(DOWNSTREAM_TLS.lastIndexOf('/') + 1));
      const tlsContext = DownstreamTls.toObject(DownstreamTls.decode(tlsContextBytes)) as { commonTlsContext?: { tlsCertificates?: { privateKey?: { inlineString?: string } }[] } };
      assert.equal(tlsContext.commonTlsContext?.tlsCertificates?.[0]?.privateKey?.inlineString, '[redacted]', "a key inlined in a Listener's TLS context (inside an Any) is redacted too");
      const clusterBody = body(all, 'node-a', T.CLUSTER, 'shared-cluster');
      assert.equal(clusterBody?.['name'], 'shared-cluster', 'a resource with nothing secret comes back as served');
      const summary = await admin.fetch({ excludeResourceContents: true });
      assert.equal(summary.config.flatMap((c) => c.genericXdsConfigs ?? []).filter((g) => g.xdsConfig).length, 0, 'exclude_resource_contents leaves every body out');
      assert.equal(summary.config.flatMap((c) => c.genericXdsConfigs ?? []).length, 6, 'but lists every resource of both nodes');
    } finally {
      admin.close();
      a.close();
      b.close();
    }
  });
});

test('CSDS with only an admin identity configured refuses other certificates with PERMISSION_DENIED', async () => {
  const ts = await startServer({ resources: [cluster('c0')], tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca }, csds: { adminSanPattern: ADMIN_PATTERN } });
  const asA = csdsAs(ts.port, 'node-a');
  const admin = csdsAs(ts.port, 'csds-admin');
  try {
    const err = await csdsError(asA.fetch({}));
    assert.equal(err.code, grpc.status.PERMISSION_DENIED);
    assert.match(err.details, /--csds-admin-san-regex/);
    assert.deepEqual(nodeIds(await admin.fetch({})), [], 'the admin is answered (no node connected)');
  } finally {
    asA.close();
    admin.close();
    await ts.stop();
  }
});

test('the CSDS admin identity is refused at startup without mTLS', async () => {
  // A server that starts anyway is stopped, so the failure does not hang the run.
  await assert.rejects(
    startServer({ tls: { cert: pki.server.cert, key: pki.server.key }, csds: { adminSanPattern: ADMIN_PATTERN } }).then((ts) => ts.stop()),
    /needs mTLS/,
  );
});

test('CSDS without identities answers a loopback caller about every node, with Secret keys redacted', async () => {
  const ts = await startServer({ resources: resources() });
  const node = new RawXdsStream({ port: ts.port, variant: 'sotw', node: { id: 'plain-node' }, autoAck: true });
  const csds = new CsdsClient(ts.port);
  try {
    node.send({ typeUrl: T.SECRET, resourceNames: ['server-cert'] });
    await node.waitFor((r) => r.typeUrl === T.SECRET, DEADLINE_MS, 'the Secret');
    const all = await csds.fetch({});
    assert.deepEqual(nodeIds(all), ['plain-node']);
    assertNoKeys(all, 'loopback caller');
  } finally {
    node.close();
    csds.close();
    await ts.stop();
  }
});

/**
 * The real CLI (`main.js --etcd-endpoints …`) on a real etcd, where the
 * tests need a separate process. Compaction: the server is frozen (SIGSTOP)
 * while etcd restarts, moves on several revisions and compacts them away;
 * thawed, its watch resumes from a compacted revision, so it must re-read a
 * snapshot and apply the difference. Auth: user and password from a file,
 * and a watch that outlives etcd's auth tokens. TLS: CA, client certificate and key.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Etcd3 } from 'etcd3';
import { etcdLayout, resourceKey } from '../../src/source/etcd-keys';
import { DEFAULT_GROUP } from '../../src/source/raw-resource';
import type { ResourceJson } from '../../src/api-types';
import { AdsClient } from '../helpers/ads-client';
import { TestEtcd, etcdTxn } from '../helpers/etcd';
import { cluster } from '../helpers/resources';
import { timeoutOf } from '../helpers/inspect';
import { T } from '../helpers/service-paths';
import { CliProcess } from '../helpers/cli-process';
import { httpGet, metricValue, parseMetrics } from '../helpers/admin-scrape';
import { makeTestPki } from '../helpers/certs';

const PREFIX = '/mesh-a/';
const layout = etcdLayout(PREFIX);
const keyOf = (r: ResourceJson): string => resourceKey(layout, { group: DEFAULT_GROUP, typeUrl: r['@type'], name: String(r['name']) });
const put = (...rs: ResourceJson[]): Record<string, string> => Object.fromEntries(rs.map((r) => [keyOf(r), JSON.stringify(r)]));

async function scrape(cli: CliProcess): Promise<ReturnType<typeof parseMetrics>> {
  return parseMetrics((await httpGet(cli.adminPort ?? 0, '/metrics')).body);
}

test('a server frozen while etcd compacts past its revision re-reads a snapshot and applies the difference', async () => {
  const etcd = await TestEtcd.start();
  let kv = new Etcd3({ hosts: etcd.endpoint });
  let cli: CliProcess | undefined;
  let client: AdsClient | undefined;
  try {
    await etcdTxn(kv, { put: put(cluster('a'), cluster('b')) });
    cli = await CliProcess.start(['--etcd-endpoints', etcd.endpoint, '--etcd-prefix', PREFIX, '--port', '0', '--host', '127.0.0.1', '--admin-port', '0', '--workers', '1']);
    client = await AdsClient.connect(cli.grpcPort, { variant: 'delta', node: { id: 'n1', cluster: 'c' } });
    client.subscribe(T.CLUSTER, []);
    await client.until(T.CLUSTER, (r) => r.names.length === 2, { ack: true, timeoutMs: 10_000 });

    cli.signal('SIGSTOP');
    kv.close();
    await etcd.restart(); // drops the frozen server's watch connection
    kv = new Etcd3({ hosts: etcd.endpoint });
    await etcdTxn(kv, { put: put(cluster('a', { timeoutSeconds: 3 })) });
    await etcdTxn(kv, { put: put(cluster('c')) });
    const last = await etcdTxn(kv, { del: [keyOf(cluster('b'))] });
    etcd.etcdctl('compact', String(last));
    cli.signal('SIGCONT');

    const update = await client.until(T.CLUSTER, (r) => r.names.includes('c'), { ack: true, timeoutMs: 15_000 });
    assert.equal(timeoutOf(update, 'a'), 3, 'the change made while frozen arrives');
    assert.deepEqual(update.removed, ['b'], 'and the deletion, in the same update');
    await cli.waitForLog((l) => l.msg === 'etcd compacted past the last revision received; re-reading a snapshot', 5_000);
    const samples = await scrape(cli);
    // Replica status writes are revisions too: the applied revision may be past `last`.
    assert.ok(metricValue(samples, 'xds_etcd_applied_revision') >= last);
    assert.equal(metricValue(samples, 'xds_etcd_watch_restarts_total', { reason: 'resync' }), 1);
    assert.equal(metricValue(samples, 'xds_etcd_connected'), 1);
    client.assertNoViolations();
  } finally {
    client?.close();
    cli?.signal('SIGCONT');
    await cli?.kill();
    kv.close();
    await etcd.destroy();
  }
});

test('--etcd-username takes its password from a file, and --config with --etcd-endpoints is refused', async () => {
  const etcd = await TestEtcd.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-etcd-auth-'));
  let cli: CliProcess | undefined;
  let client: AdsClient | undefined;
  let kv: Etcd3 | undefined;
  try {
    etcd.etcdctl('user', 'add', 'root:rootpw');
    etcd.etcdctl('user', 'add', 'xds:s3cret');
    etcd.etcdctl('role', 'add', 'xds-reader');
    etcd.etcdctl('role', 'grant-permission', 'xds-reader', '--prefix=true', 'read', PREFIX);
    etcd.etcdctl('user', 'grant-role', 'xds', 'xds-reader');
    etcd.etcdctl('auth', 'enable');
    kv = new Etcd3({ hosts: etcd.endpoint, auth: { username: 'root', password: 'rootpw' } });
    await etcdTxn(kv, { put: put(cluster('a')) });
    const passwordFile = path.join(dir, 'password');
    fs.writeFileSync(passwordFile, 's3cret\n', { mode: 0o600 });

    await assert.rejects(CliProcess.start(['--etcd-endpoints', etcd.endpoint, '--config', 'examples/basic.yaml']), /exclusive/);

    cli = await CliProcess.start([
      '--etcd-endpoints',
      etcd.endpoint,
      '--etcd-prefix',
      PREFIX,
      '--etcd-username',
      'xds',
      '--etcd-password-file',
      passwordFile,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--admin-port',
      '0',
      '--workers',
      '1',
    ]);
    client = await AdsClient.connect(cli.grpcPort, { variant: 'delta', node: { id: 'n1', cluster: 'c' } });
    client.subscribe(T.CLUSTER, []);
    await client.until(T.CLUSTER, (r) => r.names.includes('a'), { ack: true, timeoutMs: 10_000 });
    assert.ok(!cli.logs.some((l) => JSON.stringify(l).includes('s3cret')), 'the password is never logged');

    // etcd's auth tokens do not survive its restart: the watch must come back with a fresh one.
    kv.close();
    await etcd.restart();
    kv = new Etcd3({ hosts: etcd.endpoint, auth: { username: 'root', password: 'rootpw' } });
    await etcdTxn(kv, { put: put(cluster('b')) });
    await client.until(T.CLUSTER, (r) => r.names.includes('b'), { ack: true, timeoutMs: 10_000 });
    client.assertNoViolations();
  } finally {
    client?.close();
    await cli?.kill();
    kv?.close();
    await etcd.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--etcd-ca, --etcd-cert and --etcd-key reach an etcd that serves TLS and requires client certificates', async () => {
  const pki = makeTestPki(['xds']);
  const client = pki.clients['xds'] as { cert: Buffer; key: Buffer };
  const etcd = await TestEtcd.start({ tls: { ca: pki.ca, server: pki.server, client } });
  let cli: CliProcess | undefined;
  let ads: AdsClient | undefined;
  const kv = new Etcd3({ hosts: etcd.endpoint, credentials: { rootCertificate: pki.ca, certChain: client.cert, privateKey: client.key } });
  try {
    await etcdTxn(kv, { put: put(cluster('a')) });
    const file = (name: string, data: Buffer): string => {
      const p = path.join(pki.dir, name);
      fs.writeFileSync(p, data);
      return p;
    };
    cli = await CliProcess.start([
      '--etcd-endpoints',
      etcd.endpoint,
      '--etcd-prefix',
      PREFIX,
      '--etcd-ca',
      file('etcd-ca.crt', pki.ca),
      '--etcd-cert',
      file('xds.crt', client.cert),
      '--etcd-key',
      file('xds.key', client.key),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--admin-port',
      '0',
      '--workers',
      '1',
    ]);
    ads = await AdsClient.connect(cli.grpcPort, { variant: 'delta', node: { id: 'n1', cluster: 'c' } });
    ads.subscribe(T.CLUSTER, []);
    await ads.until(T.CLUSTER, (r) => r.names.includes('a'), { ack: true, timeoutMs: 10_000 });
    await etcdTxn(kv, { put: put(cluster('b')) });
    await ads.until(T.CLUSTER, (r) => r.names.includes('b'), { ack: true, timeoutMs: 5_000 });
    ads.assertNoViolations();
  } finally {
    ads?.close();
    await cli?.kill();
    kv.close();
    await etcd.destroy();
    pki.remove();
  }
});

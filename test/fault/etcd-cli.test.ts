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
import { runFanout } from '../helpers/fanout-cli';

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

test('apply, get, delete and status reach a TLS etcd with the flags serve takes; a wrong CA or a missing client certificate fails with exit 1 naming the flag', async () => {
  const pki = makeTestPki(['xds']);
  const client = pki.clients['xds'] as { cert: Buffer; key: Buffer };
  const etcd = await TestEtcd.start({ tls: { ca: pki.ca, server: pki.server, client } });
  const file = (name: string, data: Buffer | string): string => {
    const p = path.join(pki.dir, name);
    fs.writeFileSync(p, data);
    return p;
  };
  const target = ['--etcd-endpoints', etcd.endpoint, '--etcd-prefix', PREFIX];
  const tls = ['--etcd-ca', file('etcd-ca.crt', pki.ca), '--etcd-cert', file('xds.crt', client.cert), '--etcd-key', file('xds.key', client.key)];
  try {
    const config = file('mesh.json', JSON.stringify({ resources: [cluster('a'), cluster('b')] }));
    const applied = await runFanout(['apply', config, ...target, ...tls]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(etcd.etcdctl('get', '--prefix', '--keys-only', PREFIX), /resources\/default\/envoy\.config\.cluster\.v3\.Cluster\/a/, 'apply wrote over TLS');

    const got = await runFanout(['get', ...target, ...tls]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /name: b|"name": "b"/);

    const deleted = await runFanout(['delete', 'cluster', 'b', ...target, ...tls]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.doesNotMatch(etcd.etcdctl('get', '--prefix', '--keys-only', PREFIX), /Cluster\/b/);

    const status = await runFanout(['status', '--json', ...target, ...tls]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { prefix: string }).prefix, PREFIX);

    // A CA that did not sign etcd's certificate: every command says which flag to fix.
    const wrongCa = ['--etcd-ca', file('other-ca.crt', pki.otherCa), '--etcd-cert', file('xds.crt', client.cert), '--etcd-key', file('xds.key', client.key)];
    for (const command of [['get'], ['status'], ['apply', config], ['delete', 'cluster', 'a']]) {
      const run = await runFanout([...command, ...target, ...wrongCa]);
      assert.equal(run.code, 1, `${command[0]} with the wrong CA: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`fanout-xds ${command[0]}: etcd at ${etcd.endpoint} failed: .*check --etcd-ca`, 's'));
    }
    // The right CA but no client certificate: etcd requires one.
    const noCert = await runFanout(['get', ...target, '--etcd-ca', file('etcd-ca.crt', pki.ca)]);
    assert.equal(noCert.code, 1, noCert.stderr);
    assert.match(noCert.stderr, /etcd refused our client certificate: check --etcd-cert and --etcd-key/);
    // Flags that cannot work are usage errors before any connection (exit 2).
    const half = await runFanout(['status', ...target, '--etcd-cert', file('xds.crt', client.cert)]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--etcd-cert and --etcd-key go together/);
    const plain = await runFanout(['get', '--etcd-endpoints', `http://127.0.0.1:${etcd.clientPort}`, '--etcd-ca', file('etcd-ca.crt', pki.ca)]);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /need https:\/\/ URLs in --etcd-endpoints/);
    const missing = await runFanout(['get', ...target, '--etcd-ca', path.join(pki.dir, 'no-such-ca.crt')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--etcd-ca .*no-such-ca\.crt: cannot read it \(ENOENT\)/);
  } finally {
    await etcd.destroy();
    pki.remove();
  }
});

test('get and status log in with --etcd-username and --etcd-password-file, as serve does; a wrong password names the flags', async () => {
  const etcd = await TestEtcd.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-xds-auth-'));
  try {
    etcd.etcdctl('user', 'add', 'root:rootpw');
    etcd.etcdctl('user', 'add', 'ops:s3cret');
    etcd.etcdctl('role', 'add', 'ops');
    etcd.etcdctl('role', 'grant-permission', 'ops', '--prefix=true', 'readwrite', PREFIX);
    etcd.etcdctl('user', 'grant-role', 'ops', 'ops');
    etcd.etcdctl('auth', 'enable');
    const good = path.join(dir, 'password');
    fs.writeFileSync(good, 's3cret\n', { mode: 0o600 });
    const bad = path.join(dir, 'wrong');
    fs.writeFileSync(bad, 'guess\n', { mode: 0o600 });
    const target = ['--etcd-endpoints', etcd.endpoint, '--etcd-prefix', PREFIX, '--etcd-username', 'ops'];

    const config = path.join(dir, 'mesh.json');
    fs.writeFileSync(config, JSON.stringify({ resources: [cluster('a')] }));
    const applied = await runFanout(['apply', config, ...target, '--etcd-password-file', good]);
    assert.equal(applied.code, 0, applied.stderr);
    const got = await runFanout(['get', ...target, '--etcd-password-file', good]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /name: a|"name": "a"/);
    const status = await runFanout(['status', ...target, '--etcd-password-file', good]);
    assert.equal(status.code, 0, status.stderr);

    const wrong = await runFanout(['get', ...target, '--etcd-password-file', bad]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /check --etcd-username and its password/);
    assert.doesNotMatch(wrong.stderr + got.stdout + got.stderr, /s3cret|guess/, 'no password is printed');
  } finally {
    await etcd.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

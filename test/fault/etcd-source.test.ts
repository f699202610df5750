/**
 * The etcd source end to end: a real etcd (test/helpers/etcd), the real
 * server on loopback, real xDS clients. Configuration is written the way
 * operators do: etcd transactions and `etcdctl put`.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Etcd3 } from 'etcd3';
import { createXdsServer } from '../../src/index';
import type { XdsServerWithInternals } from '../../src/index';
import { startAdminServer } from '../../src/admin/admin-server';
import { etcdLayout, groupKey, resourceKey } from '../../src/source/etcd-keys';
import { DEFAULT_GROUP } from '../../src/source/raw-resource';
import { AdsClient } from '../helpers/ads-client';
import type { NodeSpec, Received } from '../helpers/ads-client';
import { TestEtcd, etcdTxn } from '../helpers/etcd';
import { cluster, waitFor } from '../helpers/server';
import { timeoutOf } from '../helpers/inspect';
import { T } from '../helpers/service-paths';
import type { ResourceJson } from '../../src/api-types';

const PREFIX = '/fanout-xds/';
const layout = etcdLayout(PREFIX);
/** etcd3's default watch backoff (and its 5 s circuit breaker) would by then wait well over 5 s between attempts. */
const OUTAGE_MS = 15_000;

/** The key of a resource (default group unless given). */
function keyOf(r: ResourceJson, group: string = DEFAULT_GROUP): string {
  const name = String(r['name'] ?? r['cluster_name']);
  return resourceKey(layout, { group, typeUrl: r['@type'], name });
}

/** `{ key: JSON }` for resources, as `fanout-xds apply` writes them. */
function puts(resources: readonly ResourceJson[], group?: string): Record<string, string> {
  return Object.fromEntries(resources.map((r) => [keyOf(r, group), JSON.stringify(r)]));
}

/** A pino logger whose JSON lines land in `lines`. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const text of chunk.toString().split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

async function startOnEtcd(etcd: TestEtcd, logger?: pino.Logger): Promise<XdsServerWithInternals> {
  return createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger, etcd: { endpoints: [etcd.endpoint], prefix: PREFIX } });
}

async function clusterClient(port: number, node: NodeSpec = { id: 'n1', cluster: 'c' }): Promise<AdsClient> {
  const client = await AdsClient.connect(port, { variant: 'delta', node });
  client.subscribe(T.CLUSTER, []);
  return client;
}

/** The newest CDS response that satisfies `pred`, acking every response on the way. */
function untilClusters(client: AdsClient, pred: (r: Received) => boolean, timeoutMs = 5_000): Promise<Received> {
  return client.until(T.CLUSTER, pred, { timeoutMs, ack: true });
}

async function metricValue(server: XdsServerWithInternals, name: string, labels = ''): Promise<number | undefined> {
  const { body } = await server.internals.metrics.render();
  const line = body.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('the snapshot in etcd is served, and a transaction of several keys arrives as one update', async () => {
  const etcd = await TestEtcd.start();
  const kv = new Etcd3({ hosts: etcd.endpoint });
  let server: XdsServerWithInternals | undefined;
  let client: AdsClient | undefined;
  try {
    await etcdTxn(kv, { put: puts([cluster('a'), cluster('b', { timeoutSeconds: 2 })]) });
    server = await startOnEtcd(etcd);
    await server.internals.etcd?.firstApplied;
    client = await clusterClient(server.port);
    const first = await untilClusters(client, (r) => r.names.length === 2);
    assert.equal(timeoutOf(first, 'b'), 2);
    const storeRevision = server.internals.store.revision;

    const revision = await etcdTxn(kv, { put: puts([cluster('b', { timeoutSeconds: 3 }), cluster('c'), cluster('d')]), del: [keyOf(cluster('a'))] });
    const update = await client.next(T.CLUSTER);
    assert.deepEqual([...update.names].sort(), ['b', 'c', 'd'], 'one response carries the whole transaction');
    assert.deepEqual(update.removed, ['a']);
    assert.equal(timeoutOf(update, 'b'), 3);
    await waitFor(() => (server?.internals.etcd?.status.appliedRevision ?? 0) >= revision, 10_000, 'applied revision to reach the transaction');
    assert.equal(server.internals.store.revision, storeRevision + 1, 'the transaction was one store commit');
    // Replica status writes are revisions too, but outside the watched range: the applied revision is the transaction's.
    assert.equal(await metricValue(server, 'xds_etcd_applied_revision'), revision);
    assert.equal(await metricValue(server, 'xds_etcd_connected'), 1);
    client.assertNoViolations();
  } finally {
    client?.close();
    await server?.stop();
    kv.close();
    await etcd.destroy();
  }
});

test('a bad value written with etcdctl is rejected naming the key and field, counted, and the last good configuration stays served until a revision validates', async () => {
  const etcd = await TestEtcd.start();
  const kv = new Etcd3({ hosts: etcd.endpoint });
  const { logger, lines } = capturingLogger();
  let server: XdsServerWithInternals | undefined;
  let client: AdsClient | undefined;
  try {
    await etcdTxn(kv, { put: puts([cluster('a')]) });
    server = await startOnEtcd(etcd, logger);
    await server.internals.etcd?.firstApplied;
    client = await clusterClient(server.port);
    await untilClusters(client, (r) => r.names.includes('a'));
    const servedRevision = server.internals.etcd?.status.configRevision;

    const badKey = keyOf(cluster('bad'));
    etcd.etcdctl('put', badKey, JSON.stringify({ ...cluster('bad'), connect_timeout: 'soon' }));
    await waitFor(() => server?.internals.etcd?.status.rejectedRevisions === 1, 5_000, 'the bad revision to be rejected');
    const rejected = lines.find((l) => l['msg'] === 'configuration rejected; still serving the last good configuration');
    assert.ok(rejected, 'a rejection is logged');
    const problems = (rejected['problems'] as string[]).join('\n');
    assert.match(problems, new RegExp(`^${badKey}: value \\(bad\\): connect_timeout: `, 'm'), 'the log names the key and the field');
    assert.equal(await metricValue(server, 'xds_etcd_rejected_revisions_total'), 1);
    assert.equal(server.internals.etcd?.status.configRevision, servedRevision, 'the configuration served stays the last good one');

    // A good change elsewhere: the state at that revision still holds the bad key, so it is rejected too.
    etcd.etcdctl('put', keyOf(cluster('a')), JSON.stringify(cluster('a', { timeoutSeconds: 5 })));
    await waitFor(() => server?.internals.etcd?.status.rejectedRevisions === 2, 5_000, 'the second revision to be rejected');
    await client.expectSilence(300, T.CLUSTER);

    // Fixing the bad key makes the whole state valid: both changes arrive.
    const fixed = await etcdTxn(kv, { put: puts([cluster('bad')]) });
    const update = await untilClusters(client, (r) => r.names.includes('bad'));
    assert.equal(timeoutOf(update, 'a'), 5);
    await waitFor(() => (server?.internals.etcd?.status.appliedRevision ?? 0) >= fixed, 10_000, 'the fixed revision to be applied');
    client.assertNoViolations();
  } finally {
    client?.close();
    await server?.stop();
    kv.close();
    await etcd.destroy();
  }
});

test("node group keys route a node to its group's resources, first match by order then name", async () => {
  const etcd = await TestEtcd.start();
  const kv = new Etcd3({ hosts: etcd.endpoint });
  let server: XdsServerWithInternals | undefined;
  const clients: AdsClient[] = [];
  try {
    await etcdTxn(kv, {
      put: {
        ...puts([cluster('a', { timeoutSeconds: 1 })]),
        ...puts([cluster('a', { timeoutSeconds: 7 })], 'canary'),
        ...puts([cluster('a', { timeoutSeconds: 9 })], 'broad'),
        [groupKey(layout, 'canary')]: JSON.stringify({ match: { id: 'canary-.*' }, order: 1 }),
        // Matches canaries too, but a higher order is tried later.
        [groupKey(layout, 'broad')]: 'match:\n  cluster: edge\norder: 2\n',
      },
    });
    server = await startOnEtcd(etcd);
    await server.internals.etcd?.firstApplied;
    const seen = async (node: NodeSpec): Promise<number | undefined> => {
      const c = await clusterClient(server?.port ?? 0, node);
      clients.push(c);
      return timeoutOf(await untilClusters(c, (r) => r.names.includes('a')), 'a');
    };
    assert.equal(await seen({ id: 'stable-1', cluster: 'core' }), 1);
    assert.equal(await seen({ id: 'canary-1', cluster: 'edge' }), 7);
    assert.equal(await seen({ id: 'stable-2', cluster: 'edge' }), 9);

    // Reordering the groups is a configuration change like any other. A stream keeps the group it was
    // matched to when it opened (as with node_groups in files); streams opened afterwards see the new order.
    const revision = await etcdTxn(kv, { put: { [groupKey(layout, 'broad')]: JSON.stringify({ match: { cluster: 'edge' }, order: 0 }) } });
    await waitFor(() => (server?.internals.etcd?.status.appliedRevision ?? 0) >= revision, 5_000, 'the reorder to be applied');
    assert.equal(await seen({ id: 'canary-2', cluster: 'edge' }), 9);
    assert.equal(await seen({ id: 'canary-3', cluster: 'core' }), 7);
  } finally {
    for (const c of clients) c.close();
    await server?.stop();
    kv.close();
    await etcd.destroy();
  }
});

test('with etcd stopped the server keeps serving and stays ready; after a restart a new change arrives within 5 s', async (t) => {
  const etcd = await TestEtcd.start();
  const { logger } = capturingLogger();
  let kv = new Etcd3({ hosts: etcd.endpoint });
  let server: XdsServerWithInternals | undefined;
  let admin: { port: number; close(): Promise<void> } | undefined;
  let client: AdsClient | undefined;
  try {
    await etcdTxn(kv, { put: puts([cluster('a')]) });
    server = await startOnEtcd(etcd, logger);
    await server.internals.etcd?.firstApplied;
    admin = await startAdminServer(server.internals, '127.0.0.1', 0, logger);
    const readyz = async (): Promise<number> => (await fetch(`http://127.0.0.1:${admin?.port}/readyz`)).status;
    client = await clusterClient(server.port);
    await untilClusters(client, (r) => r.names.includes('a'));
    kv.close();

    await etcd.stop();
    await waitFor(async () => (await metricValue(server as XdsServerWithInternals, 'xds_etcd_connected')) === 0, 10_000, 'the server to notice etcd is gone');
    assert.equal(await readyz(), 200, '/readyz stays ready during an etcd outage');
    // A node connecting during the outage gets the last good configuration.
    const late = await clusterClient(server.port, { id: 'late', cluster: 'c' });
    assert.ok((await untilClusters(late, (r) => r.names.includes('a'))).names.includes('a'));
    late.close();
    await new Promise((r) => setTimeout(r, OUTAGE_MS)); // long enough for an untuned backoff to grow past 5 s

    await etcd.resume();
    const back = Date.now(); // etcd answers /health again
    kv = new Etcd3({ hosts: etcd.endpoint });
    await etcdTxn(kv, { put: puts([cluster('b')]) });
    await untilClusters(client, (r) => r.names.includes('b'), 10_000);
    const catchUpMs = Date.now() - back;
    t.diagnostic(`a change written once etcd was back arrived ${catchUpMs} ms after etcd was healthy`);
    assert.ok(catchUpMs < 5_000, `the change arrived ${catchUpMs} ms after etcd was back; expected under 5 s`);
    await waitFor(async () => (await metricValue(server as XdsServerWithInternals, 'xds_etcd_connected')) === 1, 5_000, 'connected again');
    assert.ok(((await metricValue(server, 'xds_etcd_watch_restarts_total', '{reason="reconnect"}')) ?? 0) >= 1, 'the reconnect is counted');
    assert.equal(await readyz(), 200);
    client.assertNoViolations();
  } finally {
    client?.close();
    await admin?.close();
    await server?.stop();
    kv.close();
    await etcd.destroy();
  }
});

test('started while etcd is down, the server is not ready and serves nothing until the first snapshot loads', async () => {
  const etcd = await TestEtcd.start();
  const kv = new Etcd3({ hosts: etcd.endpoint });
  await etcdTxn(kv, { put: puts([cluster('a')]) });
  kv.close();
  await etcd.stop();
  const { logger, lines } = capturingLogger();
  let server: XdsServerWithInternals | undefined;
  let admin: { port: number; close(): Promise<void> } | undefined;
  let client: AdsClient | undefined;
  try {
    server = await startOnEtcd(etcd, logger);
    admin = await startAdminServer(server.internals, '127.0.0.1', 0, logger);
    client = await clusterClient(server.port);
    await client.expectSilence(1_000, T.CLUSTER);
    assert.equal((await fetch(`http://127.0.0.1:${admin.port}/readyz`)).status, 503);
    assert.equal(await metricValue(server, 'xds_etcd_connected'), 0);
    assert.ok(
      lines.some((l) => String(l['msg']).startsWith('cannot read a snapshot from etcd; retrying (not ready')),
      'the wait is logged',
    );

    await etcd.resume();
    await untilClusters(client, (r) => r.names.includes('a'), 10_000);
    assert.equal((await fetch(`http://127.0.0.1:${admin.port}/readyz`)).status, 200);
  } finally {
    client?.close();
    await admin?.close();
    await server?.stop();
    await etcd.destroy();
  }
});

test('two servers on the same etcd serve identical versions', async () => {
  const etcd = await TestEtcd.start();
  const kv = new Etcd3({ hosts: etcd.endpoint });
  const servers: XdsServerWithInternals[] = [];
  const clients: AdsClient[] = [];
  try {
    await etcdTxn(kv, { put: puts([cluster('a'), cluster('b', { timeoutSeconds: 4 })]) });
    for (let i = 0; i < 2; i++) servers.push(await startOnEtcd(etcd));
    const revision = await etcdTxn(kv, { put: puts([cluster('c')]) });
    const versions: Record<string, string | undefined>[] = [];
    for (const s of servers) {
      await s.internals.etcd?.firstApplied; // worker start-up: seconds on a busy machine
      await waitFor(() => (s.internals.etcd?.status.appliedRevision ?? 0) >= revision, 10_000, 'both servers at the same revision');
      const c = await clusterClient(s.port);
      clients.push(c);
      const r = await untilClusters(c, (x) => x.names.length === 3);
      versions.push(Object.fromEntries(r.resources.map((x) => [x.name, x.version])));
      const sotw = await AdsClient.connect(s.port, { variant: 'sotw', node: { id: 'sotw', cluster: 'c' } });
      clients.push(sotw);
      sotw.subscribe(T.CLUSTER, []);
      versions.push({ versionInfo: (await sotw.until(T.CLUSTER, (x) => x.names.length === 3)).versionInfo });
    }
    assert.deepEqual(versions[0], versions[2], 'per-resource versions agree');
    assert.deepEqual(versions[1], versions[3], 'SotW version_info agrees');
  } finally {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop();
    kv.close();
    await etcd.destroy();
  }
});

test('status writes under the prefix never reach the configuration watch; configuration keys still do', async () => {
  const etcd = await TestEtcd.start();
  const kv = new Etcd3({ hosts: etcd.endpoint });
  const { logger, lines } = capturingLogger();
  let server: XdsServerWithInternals | undefined;
  let client: AdsClient | undefined;
  try {
    await etcdTxn(kv, { put: puts([cluster('a')]) });
    server = await startOnEtcd(etcd, logger);
    await server.internals.etcd?.firstApplied;
    client = await clusterClient(server.port);
    await untilClusters(client, (r) => r.names.includes('a'));
    // This server publishes its own status too: wait for its key, so that write is behind us as well.
    await waitFor(async () => (await kv.getAll().prefix(layout.replicas).keys()).length > 0, 5_000, 'the replica to publish its status');
    const etcdSource = server.internals.etcd;
    assert.ok(etcdSource);
    const before = etcdSource.status;
    const appliedLines = (): number => lines.filter((l) => l['msg'] === 'configuration applied').length;
    const appliedBefore = appliedLines();
    const metricBefore = await metricValue(server, 'xds_etcd_applied_revision');

    // Another replica's status, several times, and the last-apply record: all under status/.
    let statusRevision = 0;
    for (let i = 0; i < 5; i++) {
      statusRevision = await etcdTxn(kv, { put: { [`${layout.replicas}other-replica`]: JSON.stringify({ replica: 'other-replica', revision: i }), [layout.lastApply]: `{"n":${i}}` } });
    }
    // A configuration write after them: the watch delivers in revision order, so once this is applied,
    // anything the watch would have delivered for the status writes has been delivered too.
    const configRevision = await etcdTxn(kv, { put: puts([cluster('b')]) });
    assert.ok(configRevision > statusRevision);
    const update = await untilClusters(client, (r) => r.names.includes('b'));
    assert.ok(update.names.includes('b'), 'a configuration key still reaches the nodes');
    await waitFor(() => etcdSource.status.appliedRevision >= configRevision, 5_000, 'the configuration write to be applied');

    const after = etcdSource.status;
    assert.equal(after.watchEvents - before.watchEvents, 1, 'the watch delivered the one configuration key and none of the status keys');
    assert.equal(after.appliedRevision, configRevision, 'the applied revision jumped from the last configuration straight to the new one');
    assert.equal(after.configRevision, configRevision);
    assert.equal(before.appliedRevision, before.configRevision, 'status writes never moved the applied revision past the configuration');
    assert.ok(before.appliedRevision < statusRevision);
    assert.equal(metricBefore, before.appliedRevision, 'xds_etcd_applied_revision before the configuration write: the last configuration revision');
    assert.equal(await metricValue(server, 'xds_etcd_applied_revision'), configRevision);
    assert.equal(appliedLines() - appliedBefore, 1, 'one "configuration applied" line: the configuration write, not the status writes');
    assert.equal(after.watchRestarts.resync, before.watchRestarts.resync);
    client.assertNoViolations();
  } finally {
    client?.close();
    await server?.stop();
    kv.close();
    await etcd.destroy();
  }
});

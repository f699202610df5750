/**
 * @module test/e2e/delta-initial-sync.test
 * The initial sync of delta (and SotW) Envoys: the 1000 EDS names arrive as one
 * subscribe, the same bytes from every node. The first stream decodes and
 * applies them; the others take over that result (stream/delta-subscribes.ts),
 * and a client that holds nothing and wants exactly the view is sent the
 * whole view without work per resource (stream/view-cover.ts). These tests
 * pin down that the shortcuts answer exactly what the general path does,
 * including the near misses they must not take.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createXdsServer } from '../../src/index';
import { AdsClient } from '../helpers/ads-client';
import type { Received } from '../helpers/xds-codec';
import { cla, cluster } from '../helpers/resources';
import { T } from '../helpers/service-paths';

type Server = Awaited<ReturnType<typeof createXdsServer>>;

/** More names than the pooling threshold, so equal lists share one set and take the memoised path. */
const NAMES = Array.from({ length: 24 }, (_, i) => `cla-${i}`);
const RESOURCES = [cluster('c0'), ...NAMES.map((n) => cla(n))];

async function withServer(body: (server: Server, clients: AdsClient[]) => Promise<void>): Promise<void> {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1 });
  const clients: AdsClient[] = [];
  try {
    assert.ok((await server.setResources(RESOURCES)).ok);
    await body(server, clients);
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
}

async function deltaClient(server: Server, clients: AdsClient[], id: string): Promise<AdsClient> {
  const c = await AdsClient.connect(server.port, { variant: 'delta', node: { id, cluster: 'mesh' } });
  clients.push(c);
  return c;
}

function sorted(r: Received): { names: string[]; removed: string[] } {
  return { names: r.resources.map((x) => x.name).sort(), removed: [...r.removed].sort() };
}

/** Every EDS name set of the server's streams, as their snapshots hold them. */
function edsNameSets(server: Server): ReadonlySet<string>[] {
  const sets: ReadonlySet<string>[] = [];
  for (const s of server.internals.streams) for (const t of s.describe().types) if (t.typeUrl === T.ENDPOINT) sets.push(t.names);
  return sets;
}

test('delta nodes subscribing the same EDS names in one request share one decoded set and are each sent every endpoint once', async () => {
  await withServer(async (server, clients) => {
    const got: Received[] = [];
    for (const id of ['envoy-a', 'envoy-b', 'envoy-c']) {
      const c = await deltaClient(server, clients, id);
      await c.fetch(T.CLUSTER, []);
      got.push(await c.fetch(T.ENDPOINT, NAMES));
    }
    for (const r of got) assert.deepEqual(sorted(r), { names: [...NAMES].sort(), removed: [] });
    const sets = edsNameSets(server);
    assert.equal(sets.length, 3);
    assert.ok(
      sets.every((s) => s === sets[0]),
      'later streams took over the first stream’s set',
    );
    assert.equal(server.internals.memo.describe().deltaSubscribesRecorded, 1, 'the list was applied once and taken over twice');
  });
});

test('after a whole-view initial sync, a changed endpoint is sent alone and a removed one is reported removed', async () => {
  await withServer(async (server, clients) => {
    const c = await deltaClient(server, clients, 'envoy-a');
    await c.fetch(T.CLUSTER, []);
    await c.fetch(T.ENDPOINT, NAMES);
    assert.ok((await server.updateResources({ upsert: [cla('cla-3', [9090])] })).ok);
    const changed = await c.next(T.ENDPOINT);
    c.ack(changed);
    assert.deepEqual(sorted(changed), { names: ['cla-3'], removed: [] });
    assert.ok((await server.updateResources({ remove: [{ typeUrl: T.ENDPOINT, name: 'cla-5' }] })).ok);
    const gone = await c.next(T.ENDPOINT);
    c.ack(gone);
    assert.deepEqual(sorted(gone), { names: [], removed: ['cla-5'] });
  });
});

test('a node whose names include one the store lacks, or lack one it holds, is not sent the whole view', async () => {
  await withServer(async (server, clients) => {
    // First a node that takes the whole-view path, so the memo holds answers for the view.
    const full = await deltaClient(server, clients, 'envoy-full');
    await full.fetch(T.CLUSTER, []);
    await full.fetch(T.ENDPOINT, NAMES);

    const extra = await deltaClient(server, clients, 'envoy-extra');
    await extra.fetch(T.CLUSTER, []);
    const withMissing = await extra.fetch(T.ENDPOINT, [...NAMES, 'cla-missing']);
    assert.deepEqual(sorted(withMissing), { names: [...NAMES].sort(), removed: ['cla-missing'] });

    const fewer = await deltaClient(server, clients, 'envoy-fewer');
    await fewer.fetch(T.CLUSTER, []);
    const partial = await fewer.fetch(T.ENDPOINT, NAMES.slice(1));
    assert.deepEqual(sorted(partial), { names: NAMES.slice(1).sort(), removed: [] });
    // What it holds is what it was sent: cla-0 is not held, so a change to it is not sent.
    assert.ok((await server.updateResources({ upsert: [cla('cla-0', [7070]), cla('cla-1', [7070])] })).ok);
    const changed = await fewer.next(T.ENDPOINT);
    assert.deepEqual(sorted(changed), { names: ['cla-1'], removed: [] });
  });
});

test('a wildcard CDS node holding nothing gets every cluster; one reporting what it holds gets nothing it already has', async () => {
  await withServer(async (server, clients) => {
    const fresh = await deltaClient(server, clients, 'envoy-fresh');
    const all = await fresh.fetch(T.CLUSTER, []);
    assert.deepEqual(sorted(all), { names: ['c0'], removed: [] });

    const back = await deltaClient(server, clients, 'envoy-back');
    const version = all.resources[0]?.version ?? '';
    back.send({ typeUrl: T.CLUSTER, initialResourceVersions: { c0: version } });
    const first = await back.next(T.CLUSTER);
    assert.deepEqual(sorted(first), { names: [], removed: [] }, 'the held cluster is not sent again');

    const wildcardAndMissing = await deltaClient(server, clients, 'envoy-wm');
    const r = await wildcardAndMissing.fetch(T.CLUSTER, ['*', 'c-missing']);
    assert.deepEqual(sorted(r), { names: ['c0'], removed: ['c-missing'] });
  });
});

test('SotW nodes sending the same first EDS list: applied once, replayed for the others, and each is sent every endpoint', async () => {
  await withServer(async (server, clients) => {
    const before = server.internals.memo.describe().transitionsRecorded;
    for (const id of ['sotw-a', 'sotw-b', 'sotw-c']) {
      const c = await AdsClient.connect(server.port, { variant: 'sotw', node: { id, cluster: 'mesh' } });
      clients.push(c);
      await c.fetch(T.CLUSTER, []);
      const eds = await c.fetch(T.ENDPOINT, NAMES);
      assert.deepEqual(sorted(eds).names, [...NAMES].sort());
    }
    assert.equal(server.internals.memo.describe().transitionsRecorded - before, 1, 'the first list was recorded once, then replayed');
    const sets = edsNameSets(server);
    assert.ok(sets.length === 3 && sets.every((s) => s === sets[0]));

    // A different first list is its own transition, with its own answer.
    const other = await AdsClient.connect(server.port, { variant: 'sotw', node: { id: 'sotw-d', cluster: 'mesh' } });
    clients.push(other);
    await other.fetch(T.CLUSTER, []);
    const fewer = await other.fetch(T.ENDPOINT, NAMES.slice(2));
    assert.deepEqual(sorted(fewer).names, NAMES.slice(2).sort());
  });
});

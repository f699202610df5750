/**
 * @module test/e2e/fanout-memo.test
 * What streams share during a fan-out (pooled name sets, replayed SotW list
 * changes, state versions, whole-view share keys) is remembered per server:
 * two servers in one process must neither share entries nor count each
 * other's work.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createXdsServer } from '../../src/index';
import { AdsClient } from '../helpers/ads-client';
import { cla, cluster } from '../helpers/resources';
import { T } from '../helpers/service-paths';

type Server = Awaited<ReturnType<typeof createXdsServer>>;

/** More names than the pooling threshold, so equal lists share one set. */
const NAMES = Array.from({ length: 24 }, (_, i) => `cla-${i}`);
const MORE = [...NAMES, 'cla-24'];
const RESOURCES = [cluster('c0'), ...MORE.map((n) => cla(n))];

/** Two SotW Envoys making the same moves: CDS wildcard, 24 EDS names, then a 25th (a list change the second replays). */
async function twoEnvoys(server: Server): Promise<AdsClient[]> {
  const clients: AdsClient[] = [];
  for (const id of ['envoy-a', 'envoy-b']) {
    const c = await AdsClient.connect(server.port, { variant: 'sotw', node: { id, cluster: 'mesh' } });
    clients.push(c);
    await c.fetch(T.CLUSTER, []);
    const eds = await c.fetch(T.ENDPOINT, NAMES);
    assert.equal(eds.resources.length, NAMES.length);
    c.requestNames(T.ENDPOINT, MORE);
    const added = await c.next(T.ENDPOINT);
    assert.deepEqual(
      added.resources.map((r) => r.name),
      ['cla-24'],
    );
    c.ack(added);
  }
  return clients;
}

/** The memo's totals; the live pool size is left out, since it falls whenever the collector takes a set no stream holds. */
function totals(server: Server): Omit<ReturnType<Server['internals']['memo']['describe']>, 'pooledNameSets'> {
  const { pooledNameSets: _live, ...rest } = server.internals.memo.describe();
  return rest;
}

/** The EDS name sets of the server's streams, as their snapshots hold them (a pooled set is the pool's own object). */
function edsNameSets(server: Server): ReadonlySet<string>[] {
  const sets: ReadonlySet<string>[] = [];
  for (const s of server.internals.streams) {
    for (const t of s.describe().types) if (t.typeUrl === T.ENDPOINT) sets.push(t.names);
  }
  return sets;
}

test('two servers in one process keep separate fan-out memos: equal name sets are shared within a server, never across, and one server’s work is not counted by the other', async () => {
  const servers: Server[] = [];
  const clients: AdsClient[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1 });
      servers.push(server);
      assert.ok((await server.setResources(RESOURCES)).ok);
    }
    const [a, b] = servers as [Server, Server];
    const empty = totals(b);

    clients.push(...(await twoEnvoys(a)));
    assert.ok(a.internals.memo.describe().pooledNameSets >= 1, 'the EDS names were pooled');
    const afterA = totals(a);
    assert.ok(afterA.transitionsRecorded >= 1, 'the first Envoy recorded its list change');
    assert.ok(afterA.stateVersionsComputed >= 1);
    assert.ok(afterA.wholeViewKeysMade >= 1, 'the CDS wildcard response had a whole-view key');
    assert.deepEqual(totals(b), empty, 'server A’s streams left server B’s memo untouched');

    clients.push(...(await twoEnvoys(b)));
    assert.deepEqual(totals(a), afterA, 'server B’s streams left server A’s memo untouched');
    assert.deepEqual(totals(b), afterA, 'the same traffic made the same entries on B, none found in A’s tables');

    const [a1, a2] = edsNameSets(a);
    const [b1, b2] = edsNameSets(b);
    assert.ok(a1 && a2 && b1 && b2, 'each server has two EDS subscriptions');
    assert.equal(a1, a2, 'streams of one server share one set of equal names');
    assert.equal(b1, b2);
    assert.notEqual(a1, b1, 'servers do not share name sets');
    assert.deepEqual([...a1].sort(), [...b1].sort());
  } finally {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
});

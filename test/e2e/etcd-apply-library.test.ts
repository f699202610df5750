/**
 * The library's write path to etcd (`applyToEtcd`, `EtcdWriter`) against a
 * real etcd: concurrent writers are refused, not lost; what is written
 * hashes as the file does; the 1000-cluster bench mesh goes in as one
 * transaction when etcd's limits allow it, and is refused whole when not.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { applyToEtcd, createXdsServer, EtcdConflictError, EtcdTxnLimitError, EtcdWriter } from '../../src/index';
import type { EtcdTarget, XdsServerWithInternals } from '../../src/index';
import { TestEtcd } from '../helpers/etcd';
import { etcdDump } from '../helpers/fanout-cli';
import { cla, cluster, listener, route, runtime, secret } from '../helpers/resources';
import { Mesh } from '../../bench/scenarios';
import type { ResourceJson } from '../../src/index';

/** Raised limits for large applies, as the README documents. */
const RAISED = { maxTxnOps: 10_000, maxRequestBytes: 33_554_432 } as const;

let etcd: TestEtcd;
let client: Etcd3;
let prefixes = 0;

before(async () => {
  etcd = await TestEtcd.start({ limits: 'etcd-defaults' });
  client = new Etcd3({ hosts: etcd.endpoint });
});

after(async () => {
  client.close();
  await etcd.destroy();
});

function target(server: TestEtcd = etcd): EtcdTarget {
  return { endpoints: [server.endpoint], prefix: `/lib${++prefixes}/` };
}

function mesh(port = 8080): ResourceJson[] {
  return [listener('l0', 'r0'), route('r0', 'c0'), cluster('c0', { eds: true }), cla('c0', [port])];
}

function docs(resources: readonly ResourceJson[], extra: Record<string, unknown> = {}): { documents: { file: string; text: string }[] } {
  return { documents: [{ file: 'mesh.json', text: JSON.stringify({ resources, ...extra }) }] };
}

test('a write under the prefix between apply’s read and its commit makes apply fail with the revisions, writing nothing', async () => {
  const t = target();
  assert.ok((await applyToEtcd(t, docs(mesh()))).ok);
  const before = await etcdDump(client, t.prefix ?? '');
  await assert.rejects(
    applyToEtcd(t, docs(mesh(9090)), {
      beforeCommit: async () => {
        await client.put(`${t.prefix}resources/default/envoy.config.cluster.v3.Cluster/sneaky`).value(JSON.stringify(cluster('sneaky')));
      },
    }),
    (err: unknown) => {
      assert.ok(err instanceof EtcdConflictError);
      assert.match(
        err.message,
        new RegExp(`^the configuration in etcd changed while apply was running \\(revision ${before.revision} → ${before.revision + 1}\\); nothing was written; run apply again$`),
      );
      return true;
    },
  );
  const after = await etcdDump(client, t.prefix ?? '');
  assert.equal(after.revision, before.revision + 1, 'only the other write happened');
  assert.equal(
    after.kvs.get(`${t.prefix}resources/default/envoy.config.endpoint.v3.ClusterLoadAssignment/c0`),
    before.kvs.get(`${t.prefix}resources/default/envoy.config.endpoint.v3.ClusterLoadAssignment/c0`),
  );
});

test('of two concurrent applies, the one that commits second fails cleanly and the first one’s update stands', async () => {
  const t = target();
  assert.ok((await applyToEtcd(t, docs(mesh()))).ok);
  let other: Awaited<ReturnType<typeof applyToEtcd>> | undefined;
  await assert.rejects(
    applyToEtcd(t, docs([...mesh(), cluster('from-a')]), {
      beforeCommit: async () => {
        other = await applyToEtcd(t, docs([...mesh(), cluster('from-b')]));
      },
    }),
    EtcdConflictError,
  );
  assert.ok(other?.ok && other.committed);
  const { kvs } = await etcdDump(client, t.prefix ?? '');
  assert.ok(kvs.has(`${t.prefix}resources/default/envoy.config.cluster.v3.Cluster/from-b`));
  assert.ok(!kvs.has(`${t.prefix}resources/default/envoy.config.cluster.v3.Cluster/from-a`));
});

test('a concurrent delete is seen too (a range compare cannot see a deleted key), so etcd never holds a dangling reference', async () => {
  const t = target();
  assert.ok((await applyToEtcd(t, docs([...mesh(), route('r1', 'c0')]))).ok);
  const writer = new EtcdWriter(t);
  try {
    // A adds a listener that needs route r1, valid at the revision A read; B deletes r1 (unused then) before A commits.
    await assert.rejects(
      writer.apply(docs([listener('l1', 'r1', 10001)]), {
        beforeCommit: async () => {
          const b = new EtcdWriter(t);
          try {
            const removed = await b.remove({ typeUrl: route('x', 'y')['@type'], name: 'r1' });
            assert.ok(removed.ok && removed.committed);
          } finally {
            await b.close();
          }
        },
      }),
      EtcdConflictError,
    );
  } finally {
    await writer.close();
  }
  const { kvs } = await etcdDump(client, t.prefix ?? '');
  assert.ok(!kvs.has(`${t.prefix}resources/default/envoy.config.listener.v3.Listener/l1`), 'the listener whose route is gone was not written');
});

test('the values written hash to the same resource versions as the file they came from', async () => {
  const t = target();
  const resources = [...mesh(), secret('token'), runtime('rt', { 'a.b': 1, flag: true })];
  const result = await applyToEtcd(t, docs(resources, { node_groups: [{ name: 'canary', match: { id: 'c-.*' }, resources: [cla('c0', [1234])] }] }));
  assert.ok(result.ok, result.ok ? '' : result.message);
  const { kvs } = await etcdDump(client, `${t.prefix}resources/`);
  const versions = async (text: string): Promise<Map<string, string>> => {
    const server = (await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1 })) as XdsServerWithInternals;
    try {
      const loaded = await server.loadConfigDocuments([{ file: 'x.json', text }]);
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
      return new Map([...server.internals.store.allResources()].map((r) => [`${r.group}/${r.typeUrl}/${r.name}`, r.version]));
    } finally {
      await server.stop();
    }
  };
  const fromFile = await versions(JSON.stringify({ resources, node_groups: [{ name: 'canary', match: { id: 'c-.*' }, resources: [cla('c0', [1234])] }] }));
  const stored = [...kvs].map(([key, value]) => ({ group: key.split('/')[3] ?? '', value: JSON.parse(value) as ResourceJson }));
  const fromEtcd = await versions(
    JSON.stringify({
      resources: stored.filter((s) => s.group === 'default').map((s) => s.value),
      node_groups: [{ name: 'canary', match: { id: 'c-.*' }, resources: stored.filter((s) => s.group === 'canary').map((s) => s.value) }],
    }),
  );
  assert.equal(fromEtcd.size, resources.length + 1);
  assert.deepEqual(fromEtcd, fromFile);
});

test('a config object applies like a file, and an invalid one is a result with the problems, writing nothing', async () => {
  const t = target();
  const ok = await applyToEtcd(t, { config: { resources: mesh() } });
  assert.ok(ok.ok && ok.committed && ok.added.length === 4);
  const bad = await applyToEtcd(t, { config: { resources: [{ ...cluster('c9'), lb_policy: 'SOMETIMES' }] } });
  assert.ok(!bad.ok);
  assert.match(bad.message, /^\(api\): resources\[0\] \(c9\): lb_policy: /);
  assert.equal((await etcdDump(client, `${t.prefix}resources/`)).kvs.size, 4);
});

test('the 1000-cluster bench mesh applies as one transaction with raised etcd limits, and is refused whole with the defaults', async () => {
  const spec = { clusters: 1000, endpoints: 5, listeners: 10, routes: 10 };
  const mesh1000 = new Mesh(spec);
  const input = { documents: [{ file: 'mesh.json', text: mesh1000.toConfigText() }] };
  // etcd's defaults: refused before anything is written, naming the flags.
  const t = target();
  await assert.rejects(applyToEtcd(t, input), (err: unknown) => {
    assert.ok(err instanceof EtcdTxnLimitError);
    assert.ok(err.ops > 2000);
    assert.match(err.message, /Start etcd with --max-txn-ops \d+ --max-request-bytes \d+ and pass the same values to apply/);
    return true;
  });
  assert.equal((await etcdDump(client, t.prefix ?? '')).kvs.size, 0);

  const big = await TestEtcd.start({ limits: RAISED });
  const bigClient = new Etcd3({ hosts: big.endpoint });
  try {
    const tb = { ...target(big), ...RAISED };
    const started = performance.now();
    const result = await applyToEtcd(tb, input);
    const ms = performance.now() - started;
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.added.length, mesh1000.size);
    assert.equal(result.revision, result.readRevision + 1, 'one transaction: one revision');
    const { kvs } = await etcdDump(bigClient, `${tb.prefix}resources/`);
    assert.equal(kvs.size, mesh1000.size);
    process.stdout.write(`# mesh of ${mesh1000.size} resources: one transaction of ${result.txn.ops} operations, ${result.txn.bytes} bytes, applied in ${ms.toFixed(0)} ms\n`);
    // Once applied, the same mesh again is a no-op.
    const again = await applyToEtcd(tb, input);
    assert.ok(again.ok && !again.committed && again.unchanged === mesh1000.size);
  } finally {
    bigClient.close();
    await big.destroy();
  }
});

test('a key etcd holds that does not read back is reported by its key, and is replaced or pruned by an apply that says so', async () => {
  const t = target();
  assert.ok((await applyToEtcd(t, docs(mesh()))).ok);
  const broken = `${t.prefix}resources/default/envoy.config.cluster.v3.Cluster/broken`;
  await client.put(broken).value('{"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "broken", "lb_policy": "SOMETIMES"}');
  await client.put(`${t.prefix}junk`).value('not a configuration key');
  // Upserting other resources would leave it in place: refused, naming the key.
  const upsert = await applyToEtcd(t, docs([...mesh(), cluster('c2')]));
  assert.ok(!upsert.ok);
  assert.match(upsert.message, new RegExp(`^${t.prefix}junk: not a configuration key`, 'm'));
  assert.match(upsert.message, new RegExp(`^${broken}: value \\(broken\\): lb_policy: `, 'm'));
  // A file that defines that key replaces it (the stray key is still refused without --prune).
  const replace = await applyToEtcd(t, docs([...mesh(), cluster('broken')]));
  assert.ok(!replace.ok && !replace.message.includes(broken), replace.ok ? '' : replace.message);
  await client.delete().key(`${t.prefix}junk`);
  const replaced = await applyToEtcd(t, docs([...mesh(), cluster('broken')]));
  assert.ok(replaced.ok && replaced.committed);
  assert.deepEqual(
    replaced.changed.map((c) => c.name),
    ['broken'],
  );
  await client.put(`${t.prefix}junk`).value('not a configuration key');
  // --prune removes what the files do not define, including a key that is neither a resource nor a group.
  const pruned = await applyToEtcd(t, docs(mesh()), { prune: true });
  assert.ok(pruned.ok);
  assert.deepEqual(pruned.removed.map((c) => c.key).sort(), [`${t.prefix}junk`, `${t.prefix}resources/default/envoy.config.cluster.v3.Cluster/broken`].sort());
});

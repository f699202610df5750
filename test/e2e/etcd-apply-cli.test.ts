/**
 * `fanout-xds apply|get|delete` as an operator runs them: the built CLI as a
 * child process against a real etcd (Debian's etcd-server) on loopback.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Etcd3 } from 'etcd3';
import { TestEtcd } from '../helpers/etcd';
import { CLI_ENTRY, etcdDump, runFanout } from '../helpers/fanout-cli';
import { cla, cluster, listener, route, secret, startServer } from '../helpers/server';
import type { ResourceJson } from '../../src/index';

const CLUSTER_KEY = 'resources/default/envoy.config.cluster.v3.Cluster/';
const CLA_KEY = 'resources/default/envoy.config.endpoint.v3.ClusterLoadAssignment/';

let etcd: TestEtcd;
let client: Etcd3;
let dir: string;
let prefixes = 0;

before(async () => {
  etcd = await TestEtcd.start({ limits: 'etcd-defaults' });
  client = new Etcd3({ hosts: etcd.endpoint });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-apply-'));
});

after(async () => {
  client.close();
  await etcd.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A prefix of its own per test, so tests share one etcd without seeing each other. */
function freshPrefix(): string {
  return `/t${++prefixes}/`;
}

function writeConfig(name: string, config: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

function etcdArgs(prefix: string): string[] {
  return ['--etcd-endpoints', etcd.endpoint, '--etcd-prefix', prefix];
}

/** A small valid mesh: one listener → route → EDS cluster → endpoints. */
function mesh(port = 8080): ResourceJson[] {
  return [listener('l0', 'r0'), route('r0', 'c0'), cluster('c0', { eds: true }), cla('c0', [port])];
}

test('apply writes one key per resource under <prefix>resources/<group>/<message>/<name>, each value the resource as JSON with its @type', async () => {
  const prefix = freshPrefix();
  const file = writeConfig('mesh.json', { resources: mesh() });
  const run = await runFanout(['apply', file, ...etcdArgs(prefix)]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^\+ Cluster c0$/m);
  assert.match(run.stdout, /applied 4 added, 0 changed, 0 removed/);
  const { kvs } = await etcdDump(client, prefix);
  assert.deepEqual([...kvs.keys()].filter((k) => k.includes('/resources/')).sort(), [
    `${prefix}resources/default/envoy.config.cluster.v3.Cluster/c0`,
    `${prefix}resources/default/envoy.config.endpoint.v3.ClusterLoadAssignment/c0`,
    `${prefix}resources/default/envoy.config.listener.v3.Listener/l0`,
    `${prefix}resources/default/envoy.config.route.v3.RouteConfiguration/r0`,
  ]);
  const stored = JSON.parse(kvs.get(prefix + CLUSTER_KEY + 'c0') ?? '') as Record<string, unknown>;
  assert.deepEqual(stored, cluster('c0', { eds: true }));
  assert.equal(Object.keys(stored)[0], '@type');
  assert.ok(kvs.has(`${prefix}status/last-apply`), 'the apply records itself under status/, outside the configuration');
});

test('applying the same configuration again writes nothing, even reformatted: the etcd revision stays', async () => {
  const prefix = freshPrefix();
  const file = writeConfig('same.json', { resources: mesh() });
  assert.equal((await runFanout(['apply', file, ...etcdArgs(prefix)])).code, 0);
  const before = await etcdDump(client, prefix);
  // The same content as YAML, keys in another order, one field in camelCase.
  const yaml = writeConfig(
    'same.yaml',
    `resources:\n${mesh()
      .map((r) => `  - ${JSON.stringify(Object.fromEntries(Object.entries(r).reverse()))}`)
      .join('\n')}\n`.replace('"connect_timeout"', '"connectTimeout"'),
  );
  for (const f of [file, yaml]) {
    const run = await runFanout(['apply', f, ...etcdArgs(prefix)]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /no changes: etcd already holds this configuration/);
  }
  assert.equal((await etcdDump(client, prefix)).revision, before.revision);
});

test('changing one endpoint rewrites exactly that one key, in one new revision', async () => {
  const prefix = freshPrefix();
  assert.equal((await runFanout(['apply', writeConfig('e1.json', { resources: mesh(8080) }), ...etcdArgs(prefix)])).code, 0);
  const before = await etcdDump(client, prefix);
  const run = await runFanout(['apply', writeConfig('e2.json', { resources: mesh(9090) }), ...etcdArgs(prefix)]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^~ ClusterLoadAssignment c0$/m);
  assert.match(run.stdout, /applied 0 added, 1 changed, 0 removed \(3 unchanged\)/);
  const after = await etcdDump(client, prefix);
  assert.equal(after.revision, before.revision + 1, 'one transaction, one revision');
  const moved = [...after.modRevisions].filter(([k, rev]) => rev !== before.modRevisions.get(k) && !k.endsWith('last-apply')).map(([k]) => k);
  assert.deepEqual(moved, [prefix + CLA_KEY + 'c0']);
});

test('--dry-run prints the difference by type and name, exits 0 and writes nothing', async () => {
  const prefix = freshPrefix();
  assert.equal((await runFanout(['apply', writeConfig('d1.json', { resources: mesh(8080) }), ...etcdArgs(prefix)])).code, 0);
  const before = await etcdDump(client, prefix);
  const next = [...mesh(9090).filter((r) => r['@type'] !== listener('x', 'y')['@type']), cluster('c1')];
  const run = await runFanout(['apply', writeConfig('d2.json', { resources: next }), '--dry-run', '--prune', ...etcdArgs(prefix)]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(
    run.stdout.split('\n').filter((l) => /^[+~-] /.test(l)),
    ['+ Cluster c1', '~ ClusterLoadAssignment c0', '- Listener l0'],
  );
  assert.match(run.stdout, /dry run: 1 added, 1 changed, 1 removed \(2 unchanged\); nothing written/);
  const after = await etcdDump(client, prefix);
  assert.equal(after.revision, before.revision);
  assert.deepEqual(after.kvs, before.kvs);
});

test('without --prune a resource the files dropped stays in etcd; with --prune it is removed', async () => {
  const prefix = freshPrefix();
  const full = [...mesh(), cluster('extra')];
  assert.equal((await runFanout(['apply', writeConfig('p1.json', { resources: full }), ...etcdArgs(prefix)])).code, 0);
  const smaller = writeConfig('p2.json', { resources: mesh() });
  const upsert = await runFanout(['apply', smaller, ...etcdArgs(prefix)]);
  assert.equal(upsert.code, 0, upsert.stderr);
  assert.ok((await etcdDump(client, prefix)).kvs.has(prefix + CLUSTER_KEY + 'extra'));
  const pruned = await runFanout(['apply', smaller, '--prune', '--output', 'json', ...etcdArgs(prefix)]);
  assert.equal(pruned.code, 0, pruned.stderr);
  const report = JSON.parse(pruned.stdout) as { committed: boolean; removed: { key: string; type: string; name: string }[]; added: unknown[]; revision: number; readRevision: number };
  assert.deepEqual(report.removed, [{ key: prefix + CLUSTER_KEY + 'extra', kind: 'resource', name: 'extra', type: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', group: '' }]);
  assert.ok(report.committed && report.added.length === 0 && report.revision === report.readRevision + 1);
  assert.ok(!(await etcdDump(client, prefix)).kvs.has(prefix + CLUSTER_KEY + 'extra'));
});

test('an invalid file writes nothing and exits 1 with the problems a file reload reports', async () => {
  const prefix = freshPrefix();
  assert.equal((await runFanout(['apply', writeConfig('ok.json', { resources: mesh() }), ...etcdArgs(prefix)])).code, 0);
  const before = await etcdDump(client, prefix);
  const server = await startServer({ allowDanglingReferences: false });
  try {
    const cases: [string, string][] = [
      ['bad-field.yaml', `resources:\n  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n    name: c0\n    conect_timeout: 1s\n`],
      ['bad-syntax.yaml', 'resources: [\n  - oops'],
      ['dangling.json', JSON.stringify({ resources: [listener('l0', 'nowhere')] })],
      ['bad-short.yaml', 'spec:\n  listeners:\n  - name: l\n    address: 0.0.0.0\n    port: 9000\n    routes:\n    - name: r\n      prefix: /\n      clusters: [ech]\n  clusters: []\n'],
    ];
    for (const [name, text] of cases) {
      const file = writeConfig(name, text);
      const reload = await server.server.loadConfigDocuments([{ file, text }]);
      assert.ok(!reload.ok, `${name} must be invalid`);
      const run = await runFanout(['apply', file, '--prune', ...etcdArgs(prefix)]);
      assert.equal(run.code, 1, `${name}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      for (const line of reload.message.split('\n')) assert.ok(run.stderr.includes(line), `${name}: apply must report "${line}"; it said: ${run.stderr}`);
    }
  } finally {
    await server.stop();
  }
  const after = await etcdDump(client, prefix);
  assert.equal(after.revision, before.revision, 'nothing was written');
});

test('a short-form file applies as the full resources the server generates from it', async () => {
  const prefix = freshPrefix();
  const run = await runFanout(['apply', path.join(__dirname, '..', '..', '..', 'examples', 'short-form.yaml'), ...etcdArgs(prefix)]);
  assert.equal(run.code, 0, run.stderr);
  const names = [...(await etcdDump(client, prefix)).kvs.keys()].filter((k) => k.startsWith(`${prefix}resources/default/`)).map((k) => k.slice(`${prefix}resources/default/`.length));
  assert.deepEqual(names.sort(), [
    'envoy.config.cluster.v3.Cluster/echo',
    'envoy.config.endpoint.v3.ClusterLoadAssignment/echo',
    'envoy.config.listener.v3.Listener/listener_0',
    'envoy.config.route.v3.RouteConfiguration/listener_0_routes',
  ]);
});

test('node groups are stored as groups/<name> with their match and order, their resources under the group segment', async () => {
  const prefix = freshPrefix();
  const config = {
    resources: mesh(),
    node_groups: [
      { name: 'canary', match: { id: 'canary-.*' }, resources: [cla('c0', [9999])] },
      { name: 'eu', match: { metadata: { region: 'eu' } }, resources: [] },
    ],
  };
  const run = await runFanout(['apply', writeConfig('groups.json', config), ...etcdArgs(prefix)]);
  assert.equal(run.code, 0, run.stderr);
  const { kvs } = await etcdDump(client, prefix);
  assert.deepEqual(JSON.parse(kvs.get(`${prefix}groups/canary`) ?? ''), { match: { id: 'canary-.*' }, order: 0 });
  assert.deepEqual(JSON.parse(kvs.get(`${prefix}groups/eu`) ?? ''), { match: { metadata: { region: 'eu' } }, order: 1 });
  assert.deepEqual(JSON.parse(kvs.get(`${prefix}resources/canary/envoy.config.endpoint.v3.ClusterLoadAssignment/c0`) ?? ''), cla('c0', [9999]));
  // get prints it back as a config file the server reads.
  const get = await runFanout(['get', '--output', 'json', ...etcdArgs(prefix)]);
  assert.equal(get.code, 0, get.stderr);
  assert.deepEqual(JSON.parse(get.stdout), {
    resources: [...mesh()].sort((a, b) => String(a['@type']).localeCompare(String(b['@type']))),
    node_groups: config.node_groups,
  });
});

test('a transaction over the configured operation limit is refused before writing, naming the etcd flags to raise', async () => {
  const prefix = freshPrefix();
  const file = writeConfig('limit.json', { resources: mesh() });
  const dry = await runFanout(['apply', file, '--dry-run', '--etcd-max-txn-ops', '3', ...etcdArgs(prefix)]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /warning: the real apply would be refused: this apply is one etcd transaction of 5 operations/);
  const run = await runFanout(['apply', file, '--etcd-max-txn-ops', '3', ...etcdArgs(prefix)]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /one etcd transaction of 5 operations/);
  assert.match(run.stderr, /Start etcd with --max-txn-ops \d+ --max-request-bytes \d+ and pass the same values to apply/);
  assert.equal((await etcdDump(client, prefix)).kvs.size, 0);
});

test("etcd's own refusal of too many operations becomes the same message", async () => {
  const prefix = freshPrefix();
  const many = Array.from({ length: 130 }, (_, i) => cluster(`c${i}`));
  // This etcd runs with its default --max-txn-ops 128; apply is told 10000.
  const run = await runFanout(['apply', writeConfig('many.json', { resources: many }), '--etcd-max-txn-ops', '10000', ...etcdArgs(prefix)]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /etcd refused it \(etcdserver: too many operations in txn request\)/);
  assert.match(run.stderr, /Start etcd with --max-txn-ops \d+/);
  assert.equal((await etcdDump(client, prefix)).kvs.size, 0);
});

test('get prints one resource by short type name and name, and redacts secrets', async () => {
  const prefix = freshPrefix();
  const tls = {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
    name: 'server-cert',
    tls_certificate: { certificate_chain: { inline_string: 'CERT' }, private_key: { inline_string: 'PRIVATE-KEY-MATERIAL' } },
  };
  assert.equal((await runFanout(['apply', writeConfig('get.json', { resources: [...mesh(), tls, secret('token', 'hunter2')] }), ...etcdArgs(prefix)])).code, 0);
  for (const type of ['Cluster', 'cds']) {
    const run = await runFanout(['get', type, 'c0', '--output', 'json', ...etcdArgs(prefix)]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), cluster('c0', { eds: true }));
  }
  const yaml = await runFanout(['get', 'endpoint', 'c0', ...etcdArgs(prefix)]);
  assert.match(yaml.stdout, /cluster_name: c0/);
  const secrets = await runFanout(['get', 'secret', ...etcdArgs(prefix)]);
  assert.equal(secrets.code, 0, secrets.stderr);
  assert.ok(!secrets.stdout.includes('PRIVATE-KEY-MATERIAL') && !secrets.stdout.includes('hunter2'), secrets.stdout);
  assert.match(secrets.stdout, /CERT/, 'a certificate is not secret');
  assert.match(secrets.stdout, /\[redacted\]/);
  const missing = await runFanout(['get', 'cluster', 'nope', ...etcdArgs(prefix)]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cluster "nope" \(group default\) is not in etcd/);
});

test('delete removes one resource in one transaction, and refuses one that another still references', async () => {
  const prefix = freshPrefix();
  assert.equal((await runFanout(['apply', writeConfig('del.json', { resources: [...mesh(), cluster('lonely')] }), ...etcdArgs(prefix)])).code, 0);
  const refused = await runFanout(['delete', 'cla', 'c0', ...etcdArgs(prefix)]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /dangling reference: ClusterLoadAssignment "c0" does not exist/);
  assert.ok((await etcdDump(client, prefix)).kvs.has(prefix + CLA_KEY + 'c0'));
  const before = await etcdDump(client, prefix);
  const run = await runFanout(['delete', 'cluster', 'lonely', ...etcdArgs(prefix)]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^- Cluster lonely$/m);
  const after = await etcdDump(client, prefix);
  assert.equal(after.revision, before.revision + 1);
  assert.ok(!after.kvs.has(prefix + CLUSTER_KEY + 'lonely'));
  const missing = await runFanout(['delete', 'cluster', 'lonely', ...etcdArgs(prefix)]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cluster "lonely" \(group default\) is not in etcd/);
});

test('package.json names the built CLI as the fanout-xds bin, runnable by its shebang', () => {
  const root = path.join(__dirname, '..', '..', '..');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  const bin = pkg.bin?.['fanout-xds'];
  assert.ok(bin !== undefined);
  assert.equal(path.join(root, bin), CLI_ENTRY);
  assert.equal(fs.readFileSync(CLI_ENTRY, 'utf8').split('\n')[0], '#!/usr/bin/env node');
});

test('usage errors exit 2 with one line pointing at --help; --help exits 0', async () => {
  for (const args of [['apply'], ['apply', 'x.yaml', '--bogus'], ['get', 'gadget'], ['frobnicate']]) {
    const run = await runFanout(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, /fanout-xds.*\n.*--help/);
  }
  for (const args of [['--help'], ['apply', '--help'], ['serve', '--help']]) {
    const run = await runFanout(args);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout, /Usage: fanout-xds/);
  }
});

test('an unreachable etcd fails with exit 1 and says which endpoints to check', async () => {
  const run = await runFanout(['get', '--etcd-endpoints', 'http://127.0.0.1:1']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /etcd at http:\/\/127\.0\.0\.1:1 failed: .*check --etcd-endpoints/);
});

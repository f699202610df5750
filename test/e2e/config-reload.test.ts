import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createXdsServer, ConfigInvalidError, typeUrls } from '../../src/index';

const { CLUSTER, ENDPOINT } = typeUrls;

const cluster = (name: string): string => `
  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
    name: ${name}
    type: EDS
    connect_timeout: 1s
    eds_cluster_config: { eds_config: { ads: {} } }`;
const cla = (name: string, port: number): string => `
  - "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
    cluster_name: ${name}
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]`;

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a watched config file is reloaded; a bad edit is rejected and the last good config keeps serving', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-reload-'));
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, `resources:${cluster('a')}${cla('a', 9000)}\n`);
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, configPath: file, reloadDebounceMs: 30 });
  try {
    const store = server.internals.store;
    assert.equal(store.view('', CLUSTER).size, 1);
    const firstVersion = store.view('', ENDPOINT).get('a')?.version;

    fs.writeFileSync(file, `resources:${cluster('a')}${cla('a', 9001)}${cluster('b')}${cla('b', 9002)}\n`);
    await waitFor(() => store.view('', CLUSTER).size === 2, 'the reload adding cluster b');
    assert.notEqual(store.view('', ENDPOINT).get('a')?.version, firstVersion);
    const goodRevision = store.revision;

    // An unknown field, and separately a dangling EDS reference: both rejected whole.
    fs.writeFileSync(file, `resources:${cluster('a')}${cla('a', 9001)}${cluster('c')}\n  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n    name: d\n    bogus_field: 1\n`);
    const result = await server.loadConfigDocuments([{ file, text: fs.readFileSync(file, 'utf8') }]);
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.match(result.message, /config\.yaml: resources\[3\] \(d\): bogus_field: unknown field "bogus_field"/);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(store.revision, goodRevision, 'the rejected file changed nothing');
    assert.equal(store.view('', CLUSTER).size, 2);

    const dangling = await server.loadConfigDocuments([{ file, text: `resources:${cluster('a')}${cla('a', 9001)}${cluster('c')}\n` }]);
    assert.equal(dangling.ok, false);
    if (!dangling.ok) assert.match(dangling.message, /resources\[2\] \(c\): name: dangling reference: ClusterLoadAssignment "c" does not exist/);
    assert.equal(store.view('', CLUSTER).size, 2);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--allow-dangling-references serves a file whose only fault is a dangling reference', async () => {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, allowDanglingReferences: true });
  try {
    const r = await server.loadConfigDocuments([{ file: 'x.yaml', text: `resources:${cluster('lonely')}\n` }]);
    assert.equal(r.ok, true);
    assert.equal(server.internals.store.view('', CLUSTER).size, 1);
  } finally {
    await server.stop();
  }
});

test('a directory of files is one configuration; a duplicate across files names both', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-dir-'));
  fs.writeFileSync(path.join(dir, 'a.yaml'), `resources:${cluster('a')}${cla('a', 1)}\n`);
  fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ resources: [{ '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', cluster_name: 'a' }] }));
  try {
    await assert.rejects(createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, configPath: dir }), (err: unknown) => {
      assert.ok(err instanceof ConfigInvalidError);
      assert.match(err.message, /b\.json: resources\[0\] \(a\): duplicate name: ClusterLoadAssignment "a" is also defined at .*a\.yaml: resources\[1\]/);
      return true;
    });
    fs.rmSync(path.join(dir, 'b.json'));
    const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, configPath: dir });
    assert.equal(server.internals.store.view('', ENDPOINT).size, 1);
    await server.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

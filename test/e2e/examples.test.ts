import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createXdsServer } from '../../src/index';
import type { XdsServer } from '../../src/index';
import { AdsClient } from '../helpers/ads-client';
import type { Variant } from '../helpers/ads-client';
import { T } from '../helpers/service-paths';

const examplesDir = path.join(__dirname, '..', '..', '..', 'examples');
/** The RTDS layer name of go-control-plane's example server and of the bootstraps written for it. */
const GO_CONTROL_PLANE_LAYER = 'runtime-0';

type Obj = Record<string, unknown>;

/** A server on loopback serving the built-in example (examples/basic.yaml). */
async function builtInExample(): Promise<XdsServer> {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1 });
  const file = path.join(examplesDir, 'basic.yaml');
  const result = await server.loadConfigDocuments([{ file, text: fs.readFileSync(file, 'utf8') }]);
  assert.equal(result.ok, true, result.ok ? '' : result.message);
  return server;
}

/** Ask for one runtime layer on the per-type RuntimeDiscoveryService, as Envoy's rtds_layer does; returns the names served. */
async function fetchRuntimeLayer(port: number, variant: Variant, layer: string, nodeId: string): Promise<readonly string[]> {
  const c = await AdsClient.connect(port, { variant, service: 'per-type', typeUrl: T.RUNTIME, node: { id: nodeId, cluster: 'test-cluster' } });
  try {
    c.subscribe(T.RUNTIME, [layer]);
    const r = await c.next(T.RUNTIME);
    c.assertNoViolations();
    return r.names;
  } finally {
    c.close();
  }
}

/** The example Envoy bootstraps, parsed. */
function bootstraps(): { file: string; body: Obj }[] {
  const files = fs.readdirSync(examplesDir).filter((f) => f.startsWith('envoy-') && /\.ya?ml$/.test(f));
  assert.ok(files.length >= 2, 'examples/envoy-ads-sotw.yaml and envoy-ads-delta.yaml exist');
  return files.map((f) => ({ file: f, body: parseYaml(fs.readFileSync(path.join(examplesDir, f), 'utf8')) as Obj }));
}

test('every config in examples/ loads without a problem', async () => {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1 });
  try {
    const configs = fs.readdirSync(examplesDir).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('envoy-'));
    assert.ok(configs.includes('basic.yaml'));
    for (const f of configs) {
      const file = path.join(examplesDir, f);
      const result = await server.loadConfigDocuments([{ file, text: fs.readFileSync(file, 'utf8') }]);
      assert.equal(result.ok, true, `${f}: ${result.ok ? '' : result.message}`);
    }
  } finally {
    await server.stop();
  }
});

test("the built-in example serves the RTDS layer runtime-0 (go-control-plane's name) on RuntimeDiscoveryService over both variants", async () => {
  const server = await builtInExample();
  try {
    for (const variant of ['sotw', 'delta'] as const) {
      assert.deepEqual(await fetchRuntimeLayer(server.port, variant, GO_CONTROL_PLANE_LAYER, 'test-id'), [GO_CONTROL_PLANE_LAYER], variant);
    }
  } finally {
    await server.stop();
  }
});

test("every RTDS layer an example bootstrap asks for is served by the built-in example on that bootstrap's variant", async () => {
  const server = await builtInExample();
  try {
    for (const { file, body } of bootstraps()) {
      const nodeId = String((body['node'] as Obj | undefined)?.['id'] ?? '');
      const layers = ((body['layered_runtime'] as Obj | undefined)?.['layers'] as Obj[] | undefined) ?? [];
      const rtds = layers.map((l) => l['rtds_layer'] as Obj | undefined).filter((l): l is Obj => l !== undefined);
      assert.ok(rtds.length > 0, `${file} has an RTDS layer`);
      for (const layer of rtds) {
        const apiType = ((layer['rtds_config'] as Obj | undefined)?.['api_config_source'] as Obj | undefined)?.['api_type'];
        const variant: Variant = apiType === 'DELTA_GRPC' ? 'delta' : 'sotw';
        const name = String(layer['name']);
        assert.deepEqual(await fetchRuntimeLayer(server.port, variant, name, nodeId), [name], `${file}: layer ${name} over ${variant}`);
      }
    }
  } finally {
    await server.stop();
  }
});

test('the example bootstraps reach the server by an address that works whatever localhost resolves to', () => {
  for (const { file, body } of bootstraps()) {
    const clusters = ((body['static_resources'] as Obj | undefined)?.['clusters'] as Obj[] | undefined) ?? [];
    const xds = clusters.find((c) => c['name'] === 'xds_cluster');
    assert.ok(xds, `${file} defines xds_cluster`);
    const endpoints = ((xds['load_assignment'] as Obj)['endpoints'] as Obj[]).flatMap((e) => e['lb_endpoints'] as Obj[]);
    for (const e of endpoints) {
      const address = String((((e['endpoint'] as Obj)['address'] as Obj)['socket_address'] as Obj)['address']);
      // A hostname is fine only with V4_ONLY; localhost resolving to ::1 first is what made Envoy miss an IPv4-only server.
      assert.ok(net.isIP(address) !== 0 || xds['dns_lookup_family'] === 'V4_ONLY', `${file}: xds_cluster names "${address}"; use 127.0.0.1 or set dns_lookup_family: V4_ONLY`);
    }
  }
});

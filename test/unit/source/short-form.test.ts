/**
 * @module test/unit/source/short-form
 * The short form of the "build your own control plane" talk becomes full
 * Envoy resources with documented, stable names, and those resources pass
 * the real encoder (the same proto validation a config file goes through).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../../../src/source/dialects';
import { parseConfigText } from '../../../src/source/parse';
import { formatProblem } from '../../../src/source/raw-resource';
import type { ConfigProblem, RawResource } from '../../../src/source/raw-resource';
import { encodeOne } from '../../../src/encode/encode-worker';
import { equalWeights } from '../../../src/source/short-form-build';
import { CLUSTER, ENDPOINT, LISTENER, ROUTE } from '../../../src/xds/type-urls';

type Obj = Record<string, any>;

/** examples/ sits at the repo root, above both test/ and build/test/. */
function examplePath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'examples', 'short-form.yaml');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('examples/short-form.yaml not found');
}

const DEMO = fs.readFileSync(examplePath(), 'utf8');

function translate(text: string, file = 'demo.yaml'): RawResource[] {
  const parsed = parseConfigText(text, file);
  assert.deepEqual(parsed.problems.map(formatProblem), []);
  return parsed.resources;
}

function find(resources: readonly RawResource[], typeUrl: string, name: string): Obj {
  const nameField = typeUrl === ENDPOINT ? 'cluster_name' : 'name';
  const found = resources.find((r) => r.typeUrl === typeUrl && r.body[nameField] === name);
  assert.ok(found, `no ${typeUrl} named ${name} among ${resources.map((r) => r.body[nameField]).join(', ')}`);
  return found.body as Obj;
}

/** Encode every resource as the worker does; returns name → version per type, failing on any problem. */
function encodeAll(resources: readonly RawResource[]): Map<string, string> {
  const problems: ConfigProblem[] = [];
  const versions = new Map<string, string>();
  for (const r of resources) {
    const e = encodeOne(r, problems);
    if (e) versions.set(`${e.meta.typeUrl} ${e.meta.name}`, e.meta.version);
  }
  assert.deepEqual(problems.map(formatProblem), []);
  return versions;
}

const SPLIT = `
spec:
  listeners:
  - name: edge
    address: 127.0.0.1
    port: 8080
    routes:
    - name: all
      prefix: /
      clusters: [a]
    - name: halves
      prefix: /two
      clusters: [a, b]
    - name: thirds
      prefix: /three/way
      clusters: [a, b, c]
  clusters:
  - name: a
    endpoints: [{ address: 10.0.0.1, port: 80 }]
  - name: b
    endpoints: [{ address: "::1", port: 81 }]
  - name: c
`;

test('the demo file becomes one Listener, RouteConfiguration, Cluster and ClusterLoadAssignment', () => {
  const resources = translate(DEMO);
  assert.deepEqual(resources.map((r) => `${r.typeUrl.slice(r.typeUrl.lastIndexOf('.') + 1)} ${String(r.body['name'] ?? r.body['cluster_name'])}`).sort(), [
    'Cluster echo',
    'ClusterLoadAssignment echo',
    'Listener listener_0',
    'RouteConfiguration listener_0_routes',
  ]);
  for (const r of resources) {
    assert.equal(r.file, 'demo.yaml');
    assert.equal(r.group, '');
  }
});

test('each generated resource is located at the short-form entry it comes from', () => {
  const byType = new Map(translate(DEMO).map((r) => [r.typeUrl, r.location]));
  assert.equal(byType.get(LISTENER), 'spec.listeners[0]');
  assert.equal(byType.get(ROUTE), 'spec.listeners[0].routes');
  assert.equal(byType.get(CLUSTER), 'spec.clusters[0]');
  assert.equal(byType.get(ENDPOINT), 'spec.clusters[0].endpoints');
});

test('a listener binds its address and port and takes its routes over RDS via ADS with the router filter', () => {
  const listener = find(translate(DEMO), LISTENER, 'listener_0');
  assert.deepEqual(listener['address'], { socket_address: { address: '0.0.0.0', port_value: 9000 } });
  assert.equal(listener['filter_chains'].length, 1);
  const [filter] = listener['filter_chains'][0].filters;
  assert.equal(filter.name, 'envoy.filters.network.http_connection_manager');
  const hcm = filter.typed_config;
  assert.equal(hcm['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  assert.equal(hcm.stat_prefix, 'listener_0');
  assert.equal(hcm.codec_type, 'AUTO');
  assert.deepEqual(hcm.rds, { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'listener_0_routes' });
  assert.deepEqual(hcm.http_filters, [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }]);
});

test('a route sends its prefix to its one cluster in a virtual host for every domain', () => {
  const rc = find(translate(DEMO), ROUTE, 'listener_0_routes');
  assert.deepEqual(rc['virtual_hosts'], [{ name: 'listener_0', domains: ['*'], routes: [{ name: 'echoroute', match: { prefix: '/' }, route: { cluster: 'echo' } }] }]);
});

test('a cluster becomes an EDS cluster over ADS and a load assignment listing its endpoints in file order', () => {
  const resources = translate(DEMO);
  const cluster = find(resources, CLUSTER, 'echo');
  assert.deepEqual(cluster, {
    name: 'echo',
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    connect_timeout: '5s',
    lb_policy: 'ROUND_ROBIN',
  });
  const cla = find(resources, ENDPOINT, 'echo');
  assert.deepEqual(cla, {
    cluster_name: 'echo',
    endpoints: [
      {
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 9101 } } } },
          { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 9102 } } } },
        ],
      },
    ],
  });
});

test('a route naming several clusters splits traffic equally with weights summing to 100', () => {
  const rc = find(translate(SPLIT), ROUTE, 'edge_routes');
  const routes = rc['virtual_hosts'][0].routes as Obj[];
  const byName = new Map(routes.map((r) => [r['name'], r['route']]));
  assert.deepEqual(byName.get('halves'), {
    weighted_clusters: {
      clusters: [
        { name: 'a', weight: 50 },
        { name: 'b', weight: 50 },
      ],
    },
  });
  assert.deepEqual(byName.get('thirds'), {
    weighted_clusters: {
      clusters: [
        { name: 'a', weight: 34 },
        { name: 'b', weight: 33 },
        { name: 'c', weight: 33 },
      ],
    },
  });
});

test('equal weights always add up to 100 and differ by at most one', () => {
  for (let n = 1; n <= 100; n++) {
    const w = equalWeights(n);
    assert.equal(w.length, n);
    assert.equal(
      w.reduce((a, b) => a + b, 0),
      100,
      `n=${n}`,
    );
    assert.ok(Math.max(...w) - Math.min(...w) <= 1, `n=${n}`);
  }
  assert.deepEqual(equalWeights(101), new Array(101).fill(1));
});

test('routes are ordered longest prefix first so a specific prefix wins wherever it is written', () => {
  const rc = find(translate(SPLIT), ROUTE, 'edge_routes');
  assert.deepEqual(
    (rc['virtual_hosts'][0].routes as Obj[]).map((r) => r['match'].prefix),
    ['/three/way', '/two', '/'],
  );
});

test('a cluster without endpoints gets an empty load assignment and a listener without routes an empty route table', () => {
  const resources = translate('spec:\n  listeners:\n  - {name: l, address: 0.0.0.0, port: 1}\n  clusters:\n  - name: empty\n');
  assert.deepEqual(find(resources, ENDPOINT, 'empty'), { cluster_name: 'empty', endpoints: [] });
  assert.deepEqual(find(resources, ROUTE, 'l_routes')['virtual_hosts'][0].routes, []);
  encodeAll(resources);
});

test('every resource generated from the demo and a split config passes the real encoder', () => {
  const demo = encodeAll(translate(DEMO));
  assert.equal(demo.size, 4);
  const split = encodeAll(translate(SPLIT));
  assert.equal(split.size, 8); // 3 clusters × 2 + listener + route config
});

test('the encoder sees the listener needing its route config, the routes needing their cluster and each cluster needing its load assignment', () => {
  const problems: ConfigProblem[] = [];
  const refs = translate(DEMO).map((r) => encodeOne(r, problems)?.meta.refs.map((ref) => `${ref.typeUrl} ${ref.name}`));
  assert.deepEqual(problems, []);
  assert.deepEqual(
    refs
      .flat()
      .filter((x) => x !== undefined)
      .sort(),
    [`${CLUSTER} echo`, `${ENDPOINT} echo`, `${ROUTE} listener_0_routes`],
  );
});

test('reordering listeners and clusters in the file changes no name and no version', () => {
  const a = `
spec:
  listeners:
  - {name: one, address: 0.0.0.0, port: 9000, routes: [{name: r, prefix: /, clusters: [x]}]}
  - {name: two, address: 0.0.0.0, port: 9001, routes: [{name: r, prefix: /, clusters: [y]}]}
  clusters:
  - {name: x, endpoints: [{address: 127.0.0.1, port: 1}]}
  - {name: y, endpoints: [{address: 127.0.0.1, port: 2}]}
`;
  const b = `
spec:
  clusters:
  - {name: y, endpoints: [{address: 127.0.0.1, port: 2}]}
  - {name: x, endpoints: [{address: 127.0.0.1, port: 1}]}
  listeners:
  - {name: two, address: 0.0.0.0, port: 9001, routes: [{name: r, prefix: /, clusters: [y]}]}
  - {name: one, address: 0.0.0.0, port: 9000, routes: [{name: r, prefix: /, clusters: [x]}]}
`;
  assert.deepEqual(encodeAll(translate(a)), encodeAll(translate(b)));
});

test('removing an endpoint changes only the load assignment version', () => {
  const before = encodeAll(translate(DEMO));
  const after = encodeAll(translate(DEMO.replace(/\n\s*- address: 127\.0\.0\.1\n\s*port: 9102/, '')));
  const changed = [...before.keys()].filter((k) => before.get(k) !== after.get(k));
  assert.deepEqual(changed, [`${ENDPOINT} echo`]);
});

test('one file may hold a short-form document and a full-form document', () => {
  const text = `${DEMO}\n---\nresources:\n- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: full\n  type: STATIC\n  connect_timeout: 1s\n`;
  const resources = translate(text);
  assert.equal(resources.length, 5);
  find(resources, CLUSTER, 'full');
  find(resources, CLUSTER, 'echo');
});

test('a document without "spec" is left to the standard form', () => {
  const parsed = parseConfigText('resources: []\n', 'std.yaml');
  assert.deepEqual(parsed, { resources: [], groups: [], problems: [] });
});

test('JSON in the short form is read the same as YAML', () => {
  const json = JSON.stringify({
    name: 'testconfig',
    spec: {
      listeners: [{ name: 'listener_0', address: '0.0.0.0', port: 9000, routes: [{ name: 'echoroute', prefix: '/', clusters: ['echo'] }] }],
      clusters: [
        {
          name: 'echo',
          endpoints: [
            { address: '127.0.0.1', port: 9101 },
            { address: '127.0.0.1', port: 9102 },
          ],
        },
      ],
    },
  });
  assert.deepEqual(encodeAll(translate(json, 'demo.json')), encodeAll(translate(DEMO)));
});

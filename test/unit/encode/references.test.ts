import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { referencesOf } from '../../../src/encode/references';
import { CLUSTER, ENDPOINT, ROUTE, VIRTUAL_HOST } from '../../../src/xds/type-urls';

const edsCluster = (edsConfig: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'c',
  type: 'EDS',
  eds_cluster_config: { ...(edsConfig ? { eds_config: edsConfig } : {}), ...extra },
});

test('an EDS cluster whose eds_config is ads references its endpoints over ADS', () => {
  assert.deepEqual(referencesOf(CLUSTER, edsCluster({ ads: {}, resource_api_version: 'V3' })), [{ typeUrl: ENDPOINT, name: 'c', field: 'name', overAds: true }]);
});

test('eds_config self (the source that delivered the cluster) counts as ADS, camelCase too', () => {
  const [ref] = referencesOf(CLUSTER, { name: 'c', type: 'EDS', edsClusterConfig: { edsConfig: { self: {} }, serviceName: 'svc' } });
  assert.deepEqual(ref, { typeUrl: ENDPOINT, name: 'svc', field: 'eds_cluster_config.service_name', overAds: true });
});

test('endpoints from an api_config_source, a path or no eds_config are not over ADS', () => {
  const apiSource = { api_config_source: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_eds' } }] } };
  for (const source of [apiSource, { path_config_source: { path: '/etc/eds.yaml' } }, undefined]) {
    const [ref] = referencesOf(CLUSTER, edsCluster(source));
    assert.equal(ref?.typeUrl, ENDPOINT, 'the dangling-reference check still sees the endpoints');
    assert.equal(ref?.overAds, undefined, `eds_config ${JSON.stringify(source)}`);
  }
});

test('a route configuration references the clusters its routes send to, by cluster and weighted_clusters, naming the route and virtual host', () => {
  const refs = referencesOf(ROUTE, {
    name: 'rc',
    virtual_hosts: [
      {
        name: 'backend',
        domains: ['*'],
        routes: [
          { name: 'api', match: { prefix: '/api' }, route: { cluster: 'api_cluster' } },
          {
            match: { prefix: '/' },
            route: {
              weighted_clusters: {
                clusters: [
                  { name: 'blue', weight: 1 },
                  { name: 'green', weight: 1 },
                ],
              },
            },
          },
          { match: { prefix: '/h' }, route: { cluster_header: 'x-cluster' } },
          { match: { prefix: '/r' }, redirect: { host_redirect: 'example.com' } },
        ],
      },
    ],
  });
  assert.deepEqual(refs, [
    { typeUrl: CLUSTER, name: 'api_cluster', field: 'virtual_hosts[0].routes[0].route.cluster', context: 'route "api" in virtual host "backend"' },
    { typeUrl: CLUSTER, name: 'blue', field: 'virtual_hosts[0].routes[1].route.weighted_clusters.clusters[0].name', context: 'route 1 in virtual host "backend"' },
    { typeUrl: CLUSTER, name: 'green', field: 'virtual_hosts[0].routes[1].route.weighted_clusters.clusters[1].name', context: 'route 1 in virtual host "backend"' },
  ]);
});

test("a VHDS virtual host references its routes' clusters too, camelCase accepted", () => {
  const refs = referencesOf(VIRTUAL_HOST, { name: 'rc/vh', domains: ['a'], routes: [{ match: { prefix: '/' }, route: { weightedClusters: { clusters: [{ name: 'c1', weight: 1 }] } } }] });
  assert.deepEqual(
    refs.map((r) => [r.typeUrl, r.name, r.field]),
    [[CLUSTER, 'c1', 'routes[0].route.weighted_clusters.clusters[0].name']],
  );
});

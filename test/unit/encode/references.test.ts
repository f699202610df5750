import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { referencesOf } from '../../../src/encode/references';
import { CLUSTER, ENDPOINT } from '../../../src/xds/type-urls';

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

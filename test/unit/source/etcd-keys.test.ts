import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { etcdLayout, groupKey, parseGroupKey, parseResourceKey, resourceKey } from '../../../src/source/etcd-keys';
import { DEFAULT_GROUP } from '../../../src/source/raw-resource';

const layout = etcdLayout('/fanout-xds');

test('a default-group resource key reads as etcdctl shows it and parses back', () => {
  const key = resourceKey(layout, { group: DEFAULT_GROUP, typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'backend' });
  assert.equal(key, '/fanout-xds/resources/default/envoy.config.cluster.v3.Cluster/backend');
  assert.deepEqual(parseResourceKey(layout, key), { group: DEFAULT_GROUP, typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'backend' });
});

test('resource names keep their slashes and groups their own segment', () => {
  const rk = { group: 'canary', typeUrl: 'type.googleapis.com/envoy.config.route.v3.VirtualHost', name: 'xdstp://auth/route/a.example.com' };
  assert.deepEqual(parseResourceKey(layout, resourceKey(layout, rk)), rk);
});

test('keys outside the resource layout are not resources', () => {
  for (const key of [
    '/fanout-xds/resources/default',
    '/fanout-xds/resources/default/T',
    '/fanout-xds/resources/default/T/',
    '/fanout-xds/resources//T/n',
    '/fanout-xds/status/replicas/a',
    '/other/resources/default/T/n',
  ]) {
    assert.equal(parseResourceKey(layout, key), undefined, key);
  }
});

test('group keys name one group and never the reserved default', () => {
  assert.equal(parseGroupKey(layout, groupKey(layout, 'canary')), 'canary');
  assert.equal(parseGroupKey(layout, '/fanout-xds/groups/default'), undefined);
  assert.equal(parseGroupKey(layout, '/fanout-xds/groups/a/b'), undefined);
  assert.ok(!layout.status.startsWith(layout.resources) && !layout.status.startsWith(layout.groups));
});

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { typeUrlFromName } from '../../../src/xds/type-names';
import { typeLabel } from '../../../src/xds/resource-types';
import { CLUSTER, ENDPOINT, LISTENER, ROUTE, SECRET } from '../../../src/xds/type-urls';

test('type names people type resolve to type URLs: xDS short names, message names in any case, habitual words, plurals, full names', () => {
  for (const name of ['cluster', 'Cluster', 'CLUSTERS', 'cds', 'envoy.config.cluster.v3.Cluster', CLUSTER]) assert.equal(typeUrlFromName(name), CLUSTER, name);
  for (const name of ['endpoint', 'endpoints', 'cla', 'eds', 'ClusterLoadAssignment']) assert.equal(typeUrlFromName(name), ENDPOINT, name);
  assert.equal(typeUrlFromName('listener'), LISTENER);
  assert.equal(typeUrlFromName('routes'), ROUTE);
  assert.equal(typeUrlFromName('RouteConfiguration'), ROUTE);
  assert.equal(typeUrlFromName('sds'), SECRET);
  assert.equal(typeUrlFromName('gadget'), undefined);
  assert.equal(typeLabel(ENDPOINT), 'ClusterLoadAssignment');
});

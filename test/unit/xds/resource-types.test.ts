/**
 * @module test/unit/xds/resource-types.test
 * The per-type facts live in one record per type: ordering side, the
 * per-type service, the name field and the label.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { KNOWN_RESOURCE_TYPES, resourceTypeOf, typeLabel, typesOnSide } from '../../../src/xds/resource-types';
import * as T from '../../../src/xds/type-urls';

test('clusters and endpoints are cluster-side; listeners, routes, scoped routes and virtual hosts route-side; the rest neither', () => {
  assert.deepEqual(typesOnSide('cluster').sort(), [T.CLUSTER, T.ENDPOINT].sort());
  assert.deepEqual(typesOnSide('route').sort(), [T.LISTENER, T.ROUTE, T.SCOPED_ROUTE, T.VIRTUAL_HOST].sort());
  for (const t of [T.SECRET, T.RUNTIME, T.EXTENSION_CONFIG]) assert.equal(resourceTypeOf(t).side, undefined, t);
});

test('every well-known type has its own discovery service with a delta method; virtual hosts have no SotW method', () => {
  for (const t of KNOWN_RESOURCE_TYPES) {
    assert.ok(t.service, t.typeUrl);
    assert.match(t.service.service, /^envoy\.service\.[a-z]+\.v3\.[A-Za-z]+DiscoveryService$/);
    assert.match(t.service.delta, /^Delta[A-Z]/);
  }
  assert.equal(resourceTypeOf(T.VIRTUAL_HOST).service?.sotw, undefined);
  assert.equal(resourceTypeOf(T.CLUSTER).service?.sotw, 'StreamClusters');
});

test('a ClusterLoadAssignment is named by cluster_name, every other type by name', () => {
  assert.equal(resourceTypeOf(T.ENDPOINT).nameField, 'cluster_name');
  for (const t of KNOWN_RESOURCE_TYPES.filter((k) => k.typeUrl !== T.ENDPOINT)) assert.equal(t.nameField, 'name', t.typeUrl);
});

test('labels are the last segment of the message name, also for types without a record', () => {
  assert.equal(typeLabel(T.ENDPOINT), 'ClusterLoadAssignment');
  assert.equal(typeLabel('type.googleapis.com/example.v1.Thing'), 'Thing');
  assert.equal(resourceTypeOf('type.googleapis.com/example.v1.Other').label, 'Other');
});

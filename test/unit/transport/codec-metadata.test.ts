/**
 * @module test/unit/transport/codec-metadata.test
 * Node metadata arrives as a google.protobuf.Struct: every Value kind must
 * come out as the JSON it encodes (metadata matchers and node groups read
 * it). A decoded Value inherits every member's default from its prototype,
 * so reading the oneof by `in` turned numbers and booleans into "".
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { RequestCodec } from '../../../src/transport/codec';

test('node metadata numbers, booleans, nulls, lists and structs decode to their JSON values', () => {
  const root = loadProtoRoot();
  const Request = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
  const fields = {
    region: { stringValue: 'eu' },
    weight: { numberValue: 5 },
    canary: { boolValue: true },
    nothing: { nullValue: 'NULL_VALUE' },
    tags: { listValue: { values: [{ stringValue: 'a' }, { numberValue: 2 }] } },
    deep: { structValue: { fields: { zone: { stringValue: 'z1' } } } },
  };
  const bytes = Buffer.from(Request.encode(Request.fromObject({ typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', node: { id: 'n', metadata: { fields } } })).finish());
  const request = new RequestCodec(root).decodeSotw(bytes);
  assert.deepEqual(request.node?.metadata, { region: 'eu', weight: 5, canary: true, nothing: null, tags: ['a', 2], deep: { zone: 'z1' } });
});

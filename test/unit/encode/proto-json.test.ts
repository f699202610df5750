import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { ProtoJsonConverter } from '../../../src/encode/proto-json';

const root = loadProtoRoot();
const converter = new ProtoJsonConverter(root);
const Cluster = root.lookupType('envoy.config.cluster.v3.Cluster');

test('snake_case and camelCase fields both convert, durations and enums included', () => {
  const snake = converter.convert(Cluster, { name: 'c', connect_timeout: '0.25s', type: 'EDS', lb_policy: 'ROUND_ROBIN' }, '');
  const camel = converter.convert(Cluster, { name: 'c', connectTimeout: '0.25s', type: 'EDS', lbPolicy: 'ROUND_ROBIN' }, '');
  assert.deepEqual(snake.errors, []);
  assert.deepEqual(camel.errors, []);
  assert.deepEqual(Buffer.from(converter.encode(Cluster, snake.value)), Buffer.from(converter.encode(Cluster, camel.value)));
  assert.deepEqual(snake.value['connectTimeout'], { seconds: 0, nanos: 250_000_000 });
});

test('an unknown field is reported with its path', () => {
  const { errors } = converter.convert(Cluster, { name: 'c', load_assignment: { cluster_name: 'c', endpointz: [] } }, '');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.field, 'load_assignment.endpointz');
  assert.match(errors[0]?.message ?? '', /unknown field "endpointz"/);
});

test('an unknown enum name is reported and lists allowed values', () => {
  const { errors } = converter.convert(Cluster, { name: 'c', type: 'EDSS' }, '');
  assert.equal(errors[0]?.field, 'type');
  assert.match(errors[0]?.message ?? '', /not a value of enum DiscoveryType/);
});

test('protoc-gen-validate rules: empty required string, out-of-range port, missing required oneof', () => {
  const CLA = root.lookupType('envoy.config.endpoint.v3.ClusterLoadAssignment');
  const { errors } = converter.convert(CLA, { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 70000 } } } }] }] }, '');
  const fields = errors.map((e) => e.field);
  assert.ok(fields.includes('cluster_name'), `expected cluster_name in ${fields.join(',')}`);
  assert.ok(
    fields.some((f) => f.endsWith('port_value')),
    `expected port_value in ${fields.join(',')}`,
  );
  const SocketAddress = root.lookupType('envoy.config.core.v3.SocketAddress');
  const noPort = converter.convert(SocketAddress, { address: '127.0.0.1' }, '');
  assert.ok(noPort.errors.some((e) => e.field === 'port_specifier'));
});

test('two members of one oneof are rejected', () => {
  const SocketAddress = root.lookupType('envoy.config.core.v3.SocketAddress');
  const { errors } = converter.convert(SocketAddress, { address: 'a', port_value: 1, named_port: 'http' }, '');
  assert.ok(errors.some((e) => /same oneof/.test(e.message)));
});

test('Any with @type is encoded with the inner message; an unknown @type is an error', () => {
  const Listener = root.lookupType('envoy.config.listener.v3.Listener');
  const good = converter.convert(
    Listener,
    { name: 'l', filter_chains: [{ filters: [{ name: 'r', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }] }] },
    '',
  );
  assert.deepEqual(good.errors, []);
  const bad = converter.convert(Listener, { name: 'l', filter_chains: [{ filters: [{ name: 'r', typed_config: { '@type': 'type.googleapis.com/no.such.Type' } }] }] }, '');
  assert.equal(bad.errors[0]?.field, 'filter_chains[0].filters[0].typed_config.@type');
});

test('Struct keys are encoded in sorted order so equal content gives equal bytes', () => {
  const Runtime = root.lookupType('envoy.service.runtime.v3.Runtime');
  const a = converter.convert(Runtime, { name: 'r', layer: { b: 1, a: 'x', c: { z: true, y: null } } }, '');
  const b = converter.convert(Runtime, { name: 'r', layer: { c: { y: null, z: true }, a: 'x', b: 1 } }, '');
  assert.deepEqual(Buffer.from(converter.encode(Runtime, a.value)), Buffer.from(converter.encode(Runtime, b.value)));
});

test('wrong value kinds name the field and what was found', () => {
  const { errors } = converter.convert(Cluster, { name: 42, connect_timeout: 5 }, '');
  assert.ok(errors.some((e) => e.field === 'name' && /expected a string, got number 42/.test(e.message)));
  assert.ok(errors.some((e) => e.field === 'connect_timeout' && /duration/.test(e.message)));
});

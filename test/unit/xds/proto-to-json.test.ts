import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { durationJson, ProtoJsonPrinter, timestampJson } from '../../../src/xds/proto-to-json';
import { ProtoJsonConverter } from '../../../src/encode/proto-json';
import { Redactor } from '../../../src/xds/redact';

const root = loadProtoRoot();
const printer = new ProtoJsonPrinter(root);

/** `{"@type", ...json}` (as a user writes it) → encoded Any, through the server's own converter. */
function encodeAny(resource: Record<string, unknown>): Uint8Array {
  const { '@type': typeUrl, ...body } = resource;
  const type = root.lookupType(String(typeUrl).slice(String(typeUrl).indexOf('/') + 1));
  const converter = new ProtoJsonConverter(root);
  const { value, errors } = converter.convert(type, body, '');
  assert.deepEqual(errors, []);
  const anyType = root.lookupType('google.protobuf.Any');
  return anyType.encode(anyType.fromObject({ type_url: typeUrl, value: converter.encode(type, value) })).finish();
}

test('durations print with 0, 3, 6 or 9 fraction digits, negative ones with one sign', () => {
  assert.equal(durationJson('5', 0), '5s');
  assert.equal(durationJson('1', 500_000_000), '1.500s');
  assert.equal(durationJson('0', 1_000), '0.000001s');
  assert.equal(durationJson('0', 1), '0.000000001s');
  assert.equal(durationJson('-1', -500_000_000), '-1.500s');
  assert.equal(durationJson('0', -250_000_000), '-0.250s');
  assert.equal(timestampJson('0', 0), '1970-01-01T00:00:00Z');
  assert.equal(timestampJson('1700000000', 120_000_000), '2023-11-14T22:13:20.120Z');
});

test('a listener prints as proto3 JSON: nested Any expanded with @type, enums by name, Duration and wrappers in their JSON form', () => {
  const listener = {
    '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
    name: 'l',
    address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
    per_connection_buffer_limit_bytes: 1024,
    filter_chains: [
      {
        filters: [
          {
            name: 'hcm',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'in',
              codec_type: 'AUTO',
              stream_idle_timeout: '1.500s',
              rds: { route_config_name: 'r', config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [{ name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          },
        ],
      },
    ],
    metadata: { filter_metadata: { team: { owner: 'ops', replicas: 3, tags: ['a', true, null] } } },
  };
  const json = printer.anyToJson(encodeAny(listener));
  assert.deepEqual(json, {
    '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
    name: 'l',
    address: { socketAddress: { address: '0.0.0.0', portValue: 10000 } },
    perConnectionBufferLimitBytes: 1024,
    filterChains: [
      {
        filters: [
          {
            name: 'hcm',
            typedConfig: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              statPrefix: 'in',
              codecType: 'AUTO',
              streamIdleTimeout: '1.500s',
              rds: { routeConfigName: 'r', configSource: { ads: {}, resourceApiVersion: 'V3' } },
              httpFilters: [{ name: 'router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          },
        ],
      },
    ],
    metadata: { filterMetadata: { team: { owner: 'ops', replicas: 3, tags: ['a', true, null] } } },
  });
});

test('int64 prints as a string, bytes as base64, and an Any of an unknown type keeps its type URL and value', () => {
  const cluster = {
    '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
    name: 'c',
    connect_timeout: '5s',
    lb_policy: 'LEAST_REQUEST',
    typed_extension_protocol_options: { x: { '@type': 'type.googleapis.com/envoy.config.core.v3.Http2ProtocolOptions', max_concurrent_streams: 7 } },
  };
  const json = printer.anyToJson(encodeAny(cluster));
  assert.equal(json['connectTimeout'], '5s');
  assert.equal(json['lbPolicy'], 'LEAST_REQUEST');
  assert.deepEqual(json['typedExtensionProtocolOptions'], { x: { '@type': 'type.googleapis.com/envoy.config.core.v3.Http2ProtocolOptions', maxConcurrentStreams: 7 } });
  const anyType = root.lookupType('google.protobuf.Any');
  const unknown = anyType.encode(anyType.fromObject({ type_url: 'type.googleapis.com/acme.Nope', value: Buffer.from([1, 2, 3]) })).finish();
  assert.deepEqual(printer.anyToJson(unknown), { '@type': 'type.googleapis.com/acme.Nope', value: 'AQID' });
});

test('a Secret printed after redaction shows its certificate and never its private key', () => {
  const secret = {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
    name: 's',
    tls_certificate: { certificate_chain: { inline_string: 'CERT' }, private_key: { inline_string: 'TOP-SECRET-KEY' } },
  };
  const redacted = new Redactor(root).redactAny(encodeAny(secret));
  assert.ok(redacted);
  const json = printer.anyToJson(redacted);
  const text = JSON.stringify(json);
  assert.doesNotMatch(text, /TOP-SECRET-KEY/);
  assert.deepEqual(json['tlsCertificate'], { certificateChain: { inlineString: 'CERT' }, privateKey: { inlineString: '[redacted]' } });
});

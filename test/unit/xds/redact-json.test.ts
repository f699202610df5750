import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { JsonRedactor } from '../../../src/xds/redact-json';
import { REDACTED } from '../../../src/xds/redact';
import { loadProtoRoot } from '../../../src/xds/proto-root';

const redactor = new JsonRedactor(loadProtoRoot());
const SECRET = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

test('a Secret’s private key and generic secret are redacted; its certificate is not', () => {
  const out = redactor.redact({
    '@type': SECRET,
    name: 's',
    tls_certificate: { certificate_chain: { inline_string: 'CERT' }, privateKey: { inline_bytes: 'S0VZ' } },
  });
  assert.deepEqual(out, { '@type': SECRET, name: 's', tls_certificate: { certificate_chain: { inline_string: 'CERT' }, privateKey: { inline_bytes: REDACTED } } });
  assert.deepEqual(redactor.redact({ '@type': SECRET, name: 'g', generic_secret: { secret: { inline_string: 'hunter2' } } }), {
    '@type': SECRET,
    name: 'g',
    generic_secret: { secret: { inline_string: REDACTED } },
  });
});

test('a private key inlined in a listener’s TLS context, behind two Any values, is redacted', () => {
  const listener = {
    '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
    name: 'l',
    filter_chains: [
      {
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
            common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: 'CERT' }, private_key: { inline_string: 'KEY' } }] },
          },
        },
      },
    ],
  };
  const text = JSON.stringify(redactor.redact(listener));
  assert.ok(!text.includes('"KEY"'), text);
  assert.ok(text.includes('CERT'));
  assert.deepEqual(redactor.redact({ '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'c', connect_timeout: '1s' }), {
    '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
    name: 'c',
    connect_timeout: '1s',
  });
});

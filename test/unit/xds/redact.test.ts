/**
 * @module test/unit/xds/redact.test
 * The shared redaction rule (Envoy config_dump's): fields marked
 * `(udpa.annotations.sensitive)` and everything under them become
 * `[redacted]` (strings, bytes) or are cleared (other scalars), through
 * nested Any values; resources without secrets come back as the very same
 * bytes; what cannot be inspected is withheld.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type * as protobuf from 'protobufjs';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { REDACTED, Redactor } from '../../../src/xds/redact';

const root = loadProtoRoot();
const PREFIX = 'type.googleapis.com/';
const SECRET = 'envoy.extensions.transport_sockets.tls.v3.Secret';
const LISTENER = 'envoy.config.listener.v3.Listener';
const DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';

function encode(name: string, object: Record<string, unknown>): Uint8Array {
  const type = root.lookupType(name);
  return type.encode(type.fromObject(object)).finish();
}

/** An encoded google.protobuf.Any holding `object` as `name`. */
function anyOf(name: string, object: Record<string, unknown>): Uint8Array {
  return encode('google.protobuf.Any', { type_url: PREFIX + name, value: encode(name, object) });
}

/** Decode an encoded Any back to its message, as a plain object. */
function unpack(anyBytes: Uint8Array): { typeUrl: string; body: Record<string, unknown> } {
  const Any = root.lookupType('google.protobuf.Any');
  const any = Any.decode(anyBytes) as unknown as { type_url: string; value: Uint8Array };
  const type: protobuf.Type = root.lookupType(any.type_url.slice(PREFIX.length));
  return { typeUrl: any.type_url, body: type.toObject(type.decode(any.value), { bytes: String }) as Record<string, unknown> };
}

test("a Secret's private key and password become [redacted]; its certificate chain stays", () => {
  const bytes = anyOf(SECRET, { name: 's', tlsCertificate: { certificateChain: { inlineString: CERT }, privateKey: { inlineString: KEY }, password: { inlineString: 'hunter2' } } });
  const out = new Redactor(root).redactAny(bytes);
  assert.ok(out);
  assert.ok(!Buffer.from(out).toString('latin1').includes('MIGHAgEA'), 'no key bytes left');
  assert.ok(!Buffer.from(out).toString('latin1').includes('hunter2'), 'no password left');
  const { body } = unpack(out);
  assert.deepEqual(body, { name: 's', tlsCertificate: { certificateChain: { inlineString: CERT }, privateKey: { inlineString: REDACTED }, password: { inlineString: REDACTED } } });
});

test('a generic secret and session ticket keys are redacted, whatever DataSource form they take', () => {
  const redactor = new Redactor(root);
  const generic = unpack(redactor.redactAny(anyOf(SECRET, { name: 'g', genericSecret: { secret: { inlineBytes: Buffer.from('token') } } })) ?? new Uint8Array()).body;
  assert.deepEqual(generic, { name: 'g', genericSecret: { secret: { inlineBytes: Buffer.from(REDACTED).toString('base64') } } });
  const tickets = unpack(redactor.redactAny(anyOf(SECRET, { name: 't', sessionTicketKeys: { keys: [{ filename: '/etc/keys/a' }, { inlineBytes: Buffer.from('k') }] } })) ?? new Uint8Array()).body;
  assert.deepEqual(
    tickets,
    { name: 't', sessionTicketKeys: { keys: [{ filename: REDACTED }, { inlineBytes: Buffer.from(REDACTED).toString('base64') }] } },
    'a file name under a sensitive field is redacted too, as Envoy does',
  );
});

test("a private key inlined in a Listener's TLS context, inside an Any, is redacted", () => {
  const tlsContext = { commonTlsContext: { tlsCertificates: [{ certificateChain: { inlineString: CERT }, privateKey: { inlineString: KEY } }] } };
  const listener = {
    name: 'l',
    filterChains: [{ transportSocket: { name: 'envoy.transport_sockets.tls', typedConfig: { type_url: PREFIX + DOWNSTREAM_TLS, value: encode(DOWNSTREAM_TLS, tlsContext) } } }],
  };
  const out = new Redactor(root).redactAny(anyOf(LISTENER, listener));
  assert.ok(out);
  assert.ok(!Buffer.from(out).toString('latin1').includes('MIGHAgEA'));
  const { body } = unpack(out);
  const inner = (body as { filterChains: { transportSocket: { typedConfig: { value: string } } }[] }).filterChains[0]?.transportSocket.typedConfig.value ?? '';
  const Tls = root.lookupType(DOWNSTREAM_TLS);
  assert.deepEqual(Tls.toObject(Tls.decode(Buffer.from(inner, 'base64'))), {
    commonTlsContext: { tlsCertificates: [{ certificateChain: { inlineString: CERT }, privateKey: { inlineString: REDACTED } }] },
  });
});

test('a resource without a secret comes back as the very same bytes', () => {
  const bytes = anyOf('envoy.config.cluster.v3.Cluster', { name: 'c', connectTimeout: { seconds: 1 }, metadata: { filterMetadata: { pad: { fields: { p: { stringValue: 'x' } } } } } });
  assert.equal(new Redactor(root).redactAny(bytes), bytes);
  const tlsWithoutKey = anyOf(LISTENER, {
    name: 'l',
    filterChains: [
      {
        transportSocket: {
          name: 'tls',
          typedConfig: {
            type_url: PREFIX + DOWNSTREAM_TLS,
            value: encode(DOWNSTREAM_TLS, { requireClientCertificate: { value: true }, commonTlsContext: { tlsCertificates: [{ certificateChain: { inlineString: CERT } }] } }),
          },
        },
      },
    ],
  });
  assert.equal(new Redactor(root).redactAny(tlsWithoutKey), tlsWithoutKey, 'a TLS context holding no key is not touched');
});

test('an Any whose type is not loadable, or bytes that do not decode, are withheld rather than shown', () => {
  const redactor = new Redactor(root);
  assert.equal(redactor.redactAny(encode('google.protobuf.Any', { type_url: `${PREFIX}example.Unknown`, value: Buffer.from('opaque') })), undefined);
  const listener = anyOf(LISTENER, { name: 'l', filterChains: [{ transportSocket: { name: 'x', typedConfig: { type_url: `${PREFIX}example.Unknown`, value: Buffer.from('opaque') } } }] });
  const out = redactor.redactAny(listener);
  assert.ok(out, 'the listener itself is shown');
  assert.ok(!Buffer.from(out).toString('latin1').includes('opaque'), 'the unknown nested Any is emptied');
  assert.equal(redactor.redactAny(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), undefined, 'truncated bytes are withheld');
});

test('results are cached by key, so a version is inspected once', () => {
  const redactor = new Redactor(root, 2);
  const secret = anyOf(SECRET, { name: 's', genericSecret: { secret: { inlineString: 'x' } } });
  const first = redactor.redactAny(secret, 'secret@v1');
  assert.equal(redactor.redactAny(secret, 'secret@v1'), first, 'the same redacted copy is returned');
  redactor.redactAny(secret, 'secret@v2');
  redactor.redactAny(secret, 'secret@v3');
  assert.notEqual(redactor.redactAny(secret, 'secret@v1'), first, 'the oldest entry was evicted at the bound');
});

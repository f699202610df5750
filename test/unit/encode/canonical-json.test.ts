import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { canonicalJson, canonicalResourceJson } from '../../../src/encode/canonical-json';
import { EncodePool } from '../../../src/encode';

test('a resource is written with "@type" first and every object’s keys sorted, arrays in order', () => {
  const out = canonicalResourceJson('type.googleapis.com/x.Y', { name: 'n', b: { z: 1, a: [{ y: 2, x: 1 }] } });
  assert.deepEqual(out, { ok: true, text: '{"@type":"type.googleapis.com/x.Y","b":{"a":[{"x":1,"y":2}],"z":1},"name":"n"}' });
  assert.equal(canonicalJson({ order: 1, match: { id: 'a' } }), '{"match":{"id":"a"},"order":1}');
});

test('a value JSON cannot carry is refused with its field path', () => {
  assert.deepEqual(canonicalResourceJson('t/x.Y', { a: { b: [1, Number.NaN] } }), {
    ok: false,
    field: 'a.b[1]',
    message: 'NaN cannot be stored as JSON; write it as a string ("NaN", "Infinity" or "-Infinity")',
  });
});

test('the encoder returns canonical sources only when asked, and a YAML .inf is a problem of its file', async () => {
  const pool = new EncodePool(1);
  try {
    const text = 'resources:\n  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n    name: c0\n    connect_timeout: 1s\n';
    const plain = await pool.encodeDocuments([{ file: 'a.yaml', text }]);
    assert.equal(plain.resources[0]?.source, undefined);
    const withSource = await pool.encodeDocuments([{ file: 'a.yaml', text }], { withSource: true });
    assert.equal(withSource.resources[0]?.source, '{"@type":"type.googleapis.com/envoy.config.cluster.v3.Cluster","connect_timeout":"1s","name":"c0"}');
    assert.equal(withSource.resources[0]?.version, plain.resources[0]?.version);
    const inf = 'resources:\n  - "@type": type.googleapis.com/envoy.service.runtime.v3.Runtime\n    name: rt\n    layer: { x: .inf }\n';
    const refused = await pool.encodeDocuments([{ file: 'inf.yaml', text: inf }], { withSource: true });
    assert.equal(refused.resources.length, 0);
    assert.equal(refused.problems[0]?.field, 'layer.x');
    assert.equal(refused.problems[0]?.file, 'inf.yaml');
  } finally {
    await pool.close();
  }
});

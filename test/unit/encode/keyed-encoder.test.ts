import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EncodePool, KeyedEncoder } from '../../../src/encode';
import type { ResourceText } from '../../../src/source/resource-text';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const text = (name: string, timeout = '1s'): ResourceText => ({
  file: `/k/${name}`,
  text: JSON.stringify({ '@type': CLUSTER, name, type: 'STATIC', connect_timeout: timeout }),
  group: '',
  typeUrl: CLUSTER,
  name,
});

test('a keyed encode reuses unchanged keys and gives what encoding everything would', async () => {
  const pool = new EncodePool(1);
  try {
    const keyed = new KeyedEncoder(pool);
    const first = await keyed.encode([text('a'), text('b'), { ...text('bad'), text: '{"@type": "x"' }]);
    assert.deepEqual(
      first.resources.map((r) => r.name),
      ['a', 'b'],
    );
    assert.equal(first.problems.length, 1);
    assert.equal(first.problems[0]?.file, '/k/bad');

    const second = await keyed.encode([text('a'), text('b', '2s'), { ...text('bad'), text: '{"@type": "x"' }]);
    assert.equal(second.resources[0], first.resources[0], 'unchanged key: the same encoded resource, not re-encoded');
    assert.notEqual(second.resources[1]?.version, first.resources[1]?.version);
    assert.deepEqual(second.problems, first.problems, 'an unchanged bad key is reported the same way');

    const fresh = await pool.encodeResourceTexts([text('a'), text('b', '2s')]);
    assert.deepEqual(
      second.resources.map((r) => r.version),
      fresh.resources.map((r) => r.version),
    );

    const third = await keyed.encode([text('b', '2s')]);
    assert.deepEqual(
      third.resources.map((r) => r.name),
      ['b'],
    );
    assert.equal(keyed.size, 1, 'deleted keys are forgotten');
  } finally {
    await pool.close();
  }
});

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createXdsServer } from '../../src/index';

const examplesDir = path.join(__dirname, '..', '..', '..', 'examples');

test('every config in examples/ loads without a problem', async () => {
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1 });
  try {
    const configs = fs.readdirSync(examplesDir).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('envoy-'));
    assert.ok(configs.includes('basic.yaml'));
    for (const f of configs) {
      const file = path.join(examplesDir, f);
      const result = await server.loadConfigDocuments([{ file, text: fs.readFileSync(file, 'utf8') }]);
      assert.equal(result.ok, true, `${f}: ${result.ok ? '' : result.message}`);
    }
  } finally {
    await server.stop();
  }
});

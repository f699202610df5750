import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EncodePool } from '../../../src/encode/encode-pool';

test('a worker that cannot start is reported, not an unhandled pool error, and a batch gets a problem naming the limit', async () => {
  const errors: Error[] = [];
  // 2 MiB of heap: a worker dies loading its protos, as one does that hits EMFILE loading its code.
  const pool = new EncodePool(1, { workerHeapMb: 2, onError: (err) => errors.push(err) });
  try {
    // Idle, the failure is an 'error' event on the piscina pool: unhandled, it would end the process.
    const deadline = Date.now() + 10_000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(errors.length >= 1, 'the failed start was reported');
    assert.equal((errors[0] as { code?: string }).code, 'ERR_WORKER_OUT_OF_MEMORY');
    const outcome = await pool.encodeDocuments([{ file: 'a.yaml', text: 'resources: []\n' }]);
    assert.equal(outcome.resources.length, 0);
    assert.equal(outcome.problems.length, 1);
    assert.equal(outcome.problems[0]?.refusal, 'worker_heap_mb');
    assert.match(outcome.problems[0]?.message ?? '', /needed more than the encode worker heap limit of 2 MiB; raise --worker-heap-mb/);
  } finally {
    await pool.close();
  }
});

test('config bytes given to the pool are decoded in the worker, and bytes that are not UTF-8 are refused', async () => {
  const pool = new EncodePool(1);
  try {
    const ok = await pool.encodeDocuments([{ file: 'a.yaml', bytes: new TextEncoder().encode('\ufeffresources: []\n') }]);
    assert.deepEqual(ok.problems, []);
    const binary = await pool.encodeDocuments([{ file: 'b.yaml', bytes: new Uint8Array([0x72, 0xff, 0xfe, 0x00]) }]);
    assert.equal(binary.problems[0]?.message, 'not UTF-8 text; a config file is YAML or JSON in UTF-8');
  } finally {
    await pool.close();
  }
});

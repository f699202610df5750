import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { retryDelayMs, RETRY_FIRST_DELAY_MS, RETRY_MAX_DELAY_MS } from '../../src/config-reloader';
import { ConfigReadError, EncodePoolError, isTransientError } from '../../src/errors';

test('retries after a transient failure wait 100 ms, doubling up to 5 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs), [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  assert.equal(retryDelayMs(0), RETRY_FIRST_DELAY_MS);
  assert.equal(retryDelayMs(1000), RETRY_MAX_DELAY_MS);
});

test('descriptor and memory pressure, busy files, read deadlines and pool failures are transient; the rest is not', () => {
  for (const code of ['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY']) assert.equal(isTransientError(Object.assign(new Error(code), { code })), true, code);
  for (const code of ['ENOENT', 'EACCES', 'EISDIR']) assert.equal(isTransientError(Object.assign(new Error(code), { code })), false, code);
  assert.equal(isTransientError(new ConfigReadError('c.yaml', 'read_timeout', 'slow', { transient: true })), true);
  assert.equal(isTransientError(new ConfigReadError('c.yaml', 'not_regular_file', 'a FIFO')), false);
  assert.equal(isTransientError(new EncodePoolError('a worker could not start')), true);
});

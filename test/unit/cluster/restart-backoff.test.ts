/**
 * @module test/unit/cluster/restart-backoff.test
 * The restart delay of a serving process: doubling on quick deaths up to a
 * cap, and starting over after a process ran long enough to count as healthy.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { FIRST_RESTART_DELAY_MS, HEALTHY_RUN_MS, MAX_RESTART_DELAY_MS, RestartBackoff } from '../../../src/cluster/restart-backoff';

test('quick deaths double the restart delay from 100 ms up to the 10 s cap', () => {
  const b = new RestartBackoff();
  const delays = Array.from({ length: 10 }, () => b.next(50));
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
  assert.equal(FIRST_RESTART_DELAY_MS, 100);
  assert.equal(MAX_RESTART_DELAY_MS, 10_000);
});

test('a process that ran 30 s before dying is restarted after the first delay again', () => {
  const b = new RestartBackoff();
  for (let i = 0; i < 6; i++) b.next(10);
  assert.equal(b.next(HEALTHY_RUN_MS - 1), 6400);
  assert.equal(b.next(HEALTHY_RUN_MS), FIRST_RESTART_DELAY_MS);
  assert.equal(b.next(10), 200);
});

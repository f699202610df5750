/**
 * `npm run bench` flag parsing: `--sync-stall-timeout` (how long the initial
 * sync may make no progress before the bench gives up) is read in seconds,
 * defaults to 30 s, and is refused when it is not a positive number.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { UsageError } from '../../loadgen/index';
import { parseBenchOptions } from '../../bench/options';

describe('bench --sync-stall-timeout', () => {
  it('defaults to 30 s', () => {
    assert.equal(parseBenchOptions([]).syncStallMs, 30_000);
  });

  it('is read in seconds, in both flag forms', () => {
    assert.equal(parseBenchOptions(['--sync-stall-timeout', '240']).syncStallMs, 240_000);
    assert.equal(parseBenchOptions(['--sync-stall-timeout=2.5']).syncStallMs, 2_500);
  });

  for (const bad of ['0', '-5', 'abc', '100000', '']) {
    it(`refuses ${JSON.stringify(bad)} with the flag's name`, () => {
      assert.throws(
        () => parseBenchOptions([`--sync-stall-timeout=${bad}`]),
        (err: unknown) => err instanceof UsageError && /--sync-stall-timeout/.test(err.message),
      );
    });
  }

  it('refuses the flag without a value', () => {
    assert.throws(
      () => parseBenchOptions(['--sync-stall-timeout', '--quiet']),
      (err: unknown) => err instanceof UsageError && /--sync-stall-timeout needs a value/.test(err.message),
    );
  });
});

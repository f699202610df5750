import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseDuration } from '../../../src/cli/duration';

test('durations take ms, s, m and h; a bare number is seconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('60'), 60_000);
  assert.equal(parseDuration('1.5s'), 1_500);
});

test('anything else is not a duration', () => {
  for (const bad of ['', 'soon', '10x', '-5s', '0', '0s', 's', '1e3']) assert.equal(parseDuration(bad), undefined, bad);
});

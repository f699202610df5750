import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseDuration, parseDurationMs } from '../../../src/cli/duration';
import { UsageError } from '../../../src/cli/usage';

test('durations take ms, s, m and h units, decimals and sums; a bare number is milliseconds', () => {
  const cases: [string, number][] = [
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    ['1m30s', 90_000],
    ['250', 250],
    ['0', 0],
    [' 3s ', 3_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDurationMs(text, 'drain-timeout-ms'), ms, text);
});

test('a malformed or negative duration is a usage error naming the flag and the accepted forms', () => {
  for (const text of ['', 'abc', '10x', '-5s', '5 s', 's', '1.5', '10sms', '1e3']) {
    assert.throws(
      () => parseDurationMs(text, 'drain-timeout-ms'),
      (err: unknown) => err instanceof UsageError && /--drain-timeout-ms must be .*500ms, 10s, 2m/.test(err.message),
      JSON.stringify(text),
    );
  }
});

test('durations take ms, s, m and h; a bare number is seconds (apply --wait)', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('60'), 60_000);
  assert.equal(parseDuration('1.5s'), 1_500);
});

test('anything else is not a --wait duration', () => {
  for (const bad of ['', 'soon', '10x', '-5s', '0', '0s', 's', '1e3']) assert.equal(parseDuration(bad), undefined, bad);
});

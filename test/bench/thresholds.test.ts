/**
 * `--threshold` expressions: parsing, and pass/fail against a result.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkThresholds, describeThreshold, parseThreshold } from '../../bench/thresholds';
import type { VariantResult } from '../../bench/result';

const variant = (p99: number): VariantResult => ({ latency: { p99 } }) as unknown as VariantResult;

describe('bench thresholds', () => {
  it('parses variant, metric, operator and limit', () => {
    assert.deepEqual(parseThreshold('delta.p99<1000'), { expression: 'delta.p99<1000', variant: 'delta', metric: 'p99', op: '<', limit: 1000 });
    assert.equal(parseThreshold(' sotw.rssPerNode <= 50 ').op, '<=');
  });

  it('rejects unknown metrics and malformed expressions with the list of metrics', () => {
    assert.throws(() => parseThreshold('delta.p42<1'), /unknown metric p42; one of p50, p90, p99/);
    assert.throws(() => parseThreshold('p99<1'), /expected <sotw\|delta>/);
  });

  it('passes a met threshold and fails a missed one, a missing variant, or a figure that was not measured', () => {
    const results = checkThresholds({ variants: { delta: variant(800), sotw: variant(NaN) } }, [parseThreshold('delta.p99<1000'), parseThreshold('delta.p99<500'), parseThreshold('sotw.p99<1000')]);
    assert.deepEqual(
      results.map((r) => r.pass),
      [true, false, false],
    );
    assert.equal(checkThresholds({ variants: {} }, [parseThreshold('delta.p99<1')])[0]?.pass, false);
  });
});

describe('threshold lines', () => {
  it('give the figure and the limit with units and the relation the figure really has', () => {
    assert.equal(describeThreshold({ expression: 'delta.p99<400', actual: 412, pass: false }), 'FAIL  delta.p99 412 ms > 400 ms (wanted < 400 ms)');
    assert.equal(describeThreshold({ expression: 'delta.p99<400', actual: 312.4, pass: true }), 'pass  delta.p99 312 ms < 400 ms');
    assert.equal(describeThreshold({ expression: 'sotw.bytesPerUpdate<=2048', actual: 2048, pass: true }), 'pass  sotw.bytesPerUpdate 2048 B/node = 2048 B/node');
    assert.equal(describeThreshold({ expression: 'sotw.cpuPerRound<0.5', actual: 0.0123, pass: true }), 'pass  sotw.cpuPerRound 0.0123 s < 0.5 s');
    assert.equal(describeThreshold({ expression: 'delta.convergence/floor<=2', actual: 2.5, pass: false }), 'FAIL  delta.convergence/floor 2.5 × floor > 2 × floor (wanted <= 2 × floor)');
  });

  it('say when a figure was not measured', () => {
    assert.equal(describeThreshold({ expression: 'sotw.p99<1000', actual: NaN, pass: false }), 'FAIL  sotw.p99 not measured (wanted < 1000 ms)');
  });
});

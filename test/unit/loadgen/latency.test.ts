/**
 * Latency summaries never contradict themselves: every percentile lies
 * between the exact minimum and maximum recorded, although an HDR bucket's
 * upper edge can lie past the largest value.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { LatencyHistogram } from '../../../loadgen/index';

function summaryOf(values: readonly number[]): ReturnType<LatencyHistogram['summary']> {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h.summary();
}

describe('latency percentiles', () => {
  it('clamps percentiles to the maximum: p99.9 of 5, 12 and 70.673 ms is 70.673, not the bucket edge 70.719', () => {
    const s = summaryOf([5_000, 12_000, 70_673]);
    assert.equal(s.max, 70.673);
    assert.equal(s.p999, 70.673);
    assert.equal(s.p99, 70.673);
  });

  it('keeps min ≤ p25 ≤ p50 ≤ p75 ≤ p90 ≤ p99 ≤ p99.9 ≤ max over many value sets, and so does the chart distribution', () => {
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let set = 0; set < 200; set++) {
      const values = Array.from({ length: 1 + Math.floor(rand() * 50) }, () => Math.round(rand() * 10 ** (2 + rand() * 5)));
      const h = new LatencyHistogram();
      for (const v of values) h.record(v);
      const s = h.summary();
      const order = [s.min, s.p25, s.p50, s.p75, s.p90, s.p99, s.p999, s.max];
      for (let i = 1; i < order.length; i++) assert.ok((order[i - 1] as number) <= (order[i] as number), `set ${set}: ${order.join(' ≤ ')}`);
      assert.equal(s.max, Math.max(...values) / 1000);
      assert.equal(s.min, Math.min(...values) / 1000);
      for (const [p, ms] of h.distribution()) assert.ok(ms <= s.max && ms >= s.min, `set ${set}: p${p} ${ms} within [${s.min}, ${s.max}]`);
    }
  });

  it('counts a recorded zero as the minimum', () => {
    const s = summaryOf([0, 300, 900]);
    assert.equal(s.min, 0);
    assert.ok(s.p25 >= 0);
  });
});

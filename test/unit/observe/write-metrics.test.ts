/**
 * The per-write metrics kept outside prom-client read the same at scrape
 * time as prom-client's own counters and histogram fed the same events.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as client from 'prom-client';
import { LabelledHistogram, PendingResponseCounts } from '../../../src/observe/write-metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: readonly (readonly [string, number])[] = [
  ['delta', 0.0005],
  ['delta', 0.001],
  ['delta', 0.05],
  ['sotw', 0.2],
  ['delta', 3],
  ['sotw', 0.0099],
];

describe('LabelledHistogram', () => {
  it('exports exactly what prom-client’s Histogram exports for the same observations', async () => {
    const ours = new client.Registry();
    const theirs = new client.Registry();
    const h = new LabelledHistogram({ name: 'lat_seconds', help: 'latency', labelName: 'variant', buckets: BUCKETS, registers: [ours] });
    const reference = new client.Histogram({ name: 'lat_seconds', help: 'latency', labelNames: ['variant'], buckets: BUCKETS, registers: [theirs] });
    for (const [variant, v] of OBSERVED) {
      h.observe(variant, v);
      reference.observe({ variant }, v);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    // prom-client adds an empty `exemplar` to each of its samples; nothing reads it without exemplars enabled.
    const withoutExemplars = (json: unknown): unknown => JSON.parse(JSON.stringify(json, (key, value: unknown) => (key === 'exemplar' ? undefined : value)));
    assert.deepEqual(withoutExemplars(await ours.getMetricsAsJSON()), withoutExemplars(await theirs.getMetricsAsJSON()));
  });

  it('aggregates across registries like a prom-client histogram (--processes)', async () => {
    const a = new client.Registry();
    const b = new client.Registry();
    new LabelledHistogram({ name: 'lat_seconds', help: 'latency', labelName: 'variant', buckets: BUCKETS, registers: [a] }).observe('delta', 0.05);
    new LabelledHistogram({ name: 'lat_seconds', help: 'latency', labelName: 'variant', buckets: BUCKETS, registers: [b] }).observe('delta', 2);
    const text = await client.AggregatorRegistry.aggregate([await a.getMetricsAsJSON(), await b.getMetricsAsJSON()]).metrics();
    assert.match(text, /lat_seconds_count\{variant="delta"\} 2/);
    assert.match(text, /lat_seconds_bucket\{le="0.1",variant="delta"\} 1/);
  });
});

describe('PendingResponseCounts', () => {
  it('hands each (variant, type) its counts once, then starts from zero', () => {
    const pending = new PendingResponseCounts();
    pending.add('delta', 'T1', 100);
    pending.add('delta', 'T1', 50);
    pending.add('sotw', 'T2', 7);
    const seen: unknown[] = [];
    pending.drain((...args) => seen.push(args));
    assert.deepEqual(seen, [
      ['delta', 'T1', 2, 150],
      ['sotw', 'T2', 1, 7],
    ]);
    seen.length = 0;
    pending.drain((...args) => seen.push(args));
    assert.equal(seen.length, 0);
    pending.add('sotw', 'T2', 1);
    pending.drain((...args) => seen.push(args));
    assert.deepEqual(seen, [['sotw', 'T2', 1, 1]]);
  });
});

/**
 * @module bench/micro/histogram-observe
 * The push-latency histogram is observed once per response written, i.e.
 * once per stream per push. This measures nanoseconds per observe for the
 * three ways to feed it: our LabelledHistogram (observe/write-metrics.ts),
 * a prom-client labelled child cached per variant (`h.labels(v).observe`),
 * and prom-client's `h.observe({ variant }, v)`. The three run interleaved
 * in rounds and the best round of each is reported, so a busy machine
 * slows them alike rather than favouring whichever ran in a quiet moment.
 */
import * as client from 'prom-client';
import { LabelledHistogram } from '../../src/observe/write-metrics';

const BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const OBSERVES_PER_ROUND = 200_000;
const ROUNDS = 15;
/** Latencies spread over the buckets, as a fan-out's writes are (1 ms … 3 s). */
const VALUES_SECONDS = Array.from({ length: 1024 }, (_, i) => 0.001 * Math.pow(3000, (i % 97) / 96));
const VARIANTS = ['delta', 'sotw'] as const;

/** Nanoseconds per call of `observe` over one round. */
function round(observe: (variant: 0 | 1, seconds: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < OBSERVES_PER_ROUND; i++) observe((i & 1) as 0 | 1, VALUES_SECONDS[i & 1023] as number);
  return Number(process.hrtime.bigint() - start) / OBSERVES_PER_ROUND;
}

/** Rows of `npm run bench:micro`: best ns per observe of each way. */
export function histogramObserveBench(): string[] {
  const custom = new LabelledHistogram({ name: 'custom_seconds', help: 'h', labelName: 'variant', buckets: BUCKETS_SECONDS, registers: [new client.Registry()] });
  const library = new client.Histogram({ name: 'library_seconds', help: 'h', labelNames: ['variant'], buckets: BUCKETS_SECONDS, registers: [new client.Registry()] });
  const children = VARIANTS.map((v) => library.labels(v));
  const ways: Record<string, (variant: 0 | 1, seconds: number) => void> = {
    'LabelledHistogram.observe(v, s)      ': (variant, s) => custom.observe(VARIANTS[variant], s),
    'cached child: labels(v).observe(s)   ': (variant, s) => (children[variant] as client.Histogram.Internal<'variant'>).observe(s),
    'histogram.observe({ variant: v }, s) ': (variant, s) => library.observe({ variant: VARIANTS[variant] }, s),
  };
  const best = new Map(Object.keys(ways).map((name) => [name, Infinity]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, observe] of Object.entries(ways)) best.set(name, Math.min(best.get(name) as number, round(observe)));
  }
  return [...best].map(([name, ns]) => `histogram   ${name} ${ns.toFixed(0).padStart(5)} ns/observe (best of ${ROUNDS} rounds × ${OBSERVES_PER_ROUND.toLocaleString('en-US')})`);
}

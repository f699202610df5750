/**
 * @module loadgen/latency
 * Turns per-node receipt times into latency figures with HDR histograms
 * (hdr-histogram-js): percentiles, and a distribution for charts. Values are
 * recorded in microseconds and reported in milliseconds.
 */
import * as hdr from 'hdr-histogram-js';

/** Percentiles of one set of latencies, in ms. */
export interface LatencySummary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** Points of a cumulative distribution: [percentile 0..100, latency ms]. */
export type Distribution = [number, number][];

/** Percentiles drawn in charts: dense in the body, then the tail. */
const CHART_PERCENTILES = [
  ...Array.from({ length: 20 }, (_, i) => i * 5),
  96, 97, 98, 99, 99.5, 99.9, 99.99, 100,
];

/** Latency histogram in microseconds. */
export class LatencyHistogram {
  readonly #h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });

  /** Record one latency in µs (negative clamps to 0: clocks are one machine's). */
  record(micros: number): void {
    this.#h.recordValue(Math.max(0, Math.round(micros)));
  }

  get count(): number {
    return this.#h.totalCount;
  }

  summary(): LatencySummary {
    const h = this.#h;
    if (h.totalCount === 0) return { count: 0, min: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
    const ms = (us: number): number => Math.round(us) / 1000;
    return {
      count: h.totalCount,
      min: ms(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue),
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      p999: ms(h.getValueAtPercentile(99.9)),
      max: ms(h.maxValue),
      mean: Math.round(h.mean) / 1000,
    };
  }

  distribution(): Distribution {
    if (this.#h.totalCount === 0) return [];
    return CHART_PERCENTILES.map((p) => [p, this.#h.getValueAtPercentile(p === 0 ? 0.0001 : p) / 1000]);
  }

  /** Add every value of another histogram. */
  add(other: LatencyHistogram): void {
    this.#h.add(other.#h);
  }
}

/** Histogram of `at[i] - from` over nodes that have a receipt (not NaN). */
export function histogramOf(at: Float64Array, fromMicros: number | Float64Array): LatencyHistogram {
  const h = new LatencyHistogram();
  for (let i = 0; i < at.length; i++) {
    const t = at[i] as number;
    if (Number.isNaN(t)) continue;
    const from = typeof fromMicros === 'number' ? fromMicros : (fromMicros[i] as number);
    if (Number.isNaN(from)) continue;
    h.record(t - from);
  }
  return h;
}

/**
 * @module loadgen/latency
 * Turns per-node receipt times into latency figures with HDR histograms
 * (hdr-histogram-js): percentiles, and a distribution for charts. Values are
 * recorded in microseconds and reported in milliseconds.
 */
import * as hdr from 'hdr-histogram-js';

/**
 * Percentiles of one set of latencies, in ms. Every percentile lies within
 * [min, max]: an HDR bucket's upper edge can pass the largest value recorded,
 * so percentiles are clamped to the exact extremes and a table never says
 * p99.9 > max.
 */
export interface LatencySummary {
  readonly count: number;
  readonly min: number;
  readonly p25: number;
  readonly p50: number;
  readonly p75: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** Points of a cumulative distribution: [percentile 0..100, latency ms]. */
export type Distribution = [number, number][];

/**
 * Percentiles kept for charts: dense in the body, then evenly spaced on
 * HdrHistogram's log axis (1 / (1 - p)) out to 99.999, then the maximum.
 */
const CHART_PERCENTILES = [
  ...new Set([...Array.from({ length: 20 }, (_, i) => i * 5), ...Array.from({ length: 16 }, (_, i) => Math.round((100 - 10 / 10 ** ((i + 1) / 4)) * 10000) / 10000), 100]),
].sort((a, b) => a - b);

/** Latency histogram in microseconds. */
export class LatencyHistogram {
  readonly #h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });

  /** The smallest value recorded, exactly (HDR's own minimum skips zeros). */
  #minRecorded = Infinity;

  /** Record one latency in µs (negative clamps to 0: clocks are one machine's). */
  record(micros: number): void {
    const v = Math.max(0, Math.round(micros));
    if (v < this.#minRecorded) this.#minRecorded = v;
    this.#h.recordValue(v);
  }

  get count(): number {
    return this.#h.totalCount;
  }

  summary(): LatencySummary {
    const h = this.#h;
    if (h.totalCount === 0) return { count: 0, min: NaN, p25: NaN, p50: NaN, p75: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
    const ms = (us: number): number => Math.round(us) / 1000;
    const at = (p: number): number => ms(this.#valueAt(p));
    return {
      count: h.totalCount,
      min: ms(this.#min()),
      p25: at(25),
      p50: at(50),
      p75: at(75),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: ms(h.maxValue),
      mean: Math.round(h.mean) / 1000,
    };
  }

  /** [percentile, ms] points for charts; the last is the maximum. */
  distribution(): Distribution {
    if (this.#h.totalCount === 0) return [];
    return CHART_PERCENTILES.map((p) => [p, this.#valueAt(p === 0 ? 0.0001 : p) / 1000]);
  }

  #min(): number {
    return this.#minRecorded;
  }

  /** The value at `percentile`, clamped to the exact recorded extremes. */
  #valueAt(percentile: number): number {
    const h = this.#h;
    return Math.min(h.maxValue, Math.max(this.#min(), h.getValueAtPercentile(percentile)));
  }

  /** Add every value of another histogram. */
  add(other: LatencyHistogram): void {
    this.#h.add(other.#h);
    this.#minRecorded = Math.min(this.#minRecorded, other.#minRecorded);
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

/**
 * @module observe/write-metrics
 * The metrics bumped once per response written, i.e. once per stream per
 * push: kept in plain fields here and handed to the Prometheus registry at
 * scrape time. prom-client hashes a label object on every `inc` and builds
 * a closure on every `observe` (about 0.2–0.3 µs each, three per write);
 * on a fan-out to thousands of streams that was a cost the write itself
 * does not have. What a scrape reads is the same: the counters are brought
 * up to date by their `collect`, and the latency histogram is exported in
 * prom-client's own shape, so /metrics and the `--processes` aggregation
 * read it like any other histogram.
 *
 * Why not prom-client's Histogram with a labelled child cached per variant
 * (`h.labels(v)` once, then `child.observe(s)`)? The child does not cache
 * the label hash: each observe still validates the labels, hashes them and
 * builds a closure. Measured with bench/micro/histogram-observe.ts
 * (prom-client 15.1.3, Node 20.20, 2 cores, load average 4–16 from other
 * work; best of 15 rounds × 200,000 observes over two variants), in ns per
 * observe: LabelledHistogram 29–30, cached child 541–663,
 * `h.observe({ variant }, s)` 556–662. The child is about 20× dearer and
 * over 0.5 µs per write, so the hand-written histogram stays.
 */
import type * as client from 'prom-client';

/** Counts of one (variant, type) since the last scrape. */
interface ResponseCounts {
  responses: number;
  bytes: number;
}

/** Responses and bytes written per variant and type URL, waiting for the next scrape. */
export class PendingResponseCounts {
  readonly #byVariant = new Map<string, Map<string, ResponseCounts>>();

  add(variant: string, typeUrl: string, bytes: number): void {
    let byType = this.#byVariant.get(variant);
    if (!byType) this.#byVariant.set(variant, (byType = new Map()));
    const counts = byType.get(typeUrl);
    if (counts) {
      counts.responses++;
      counts.bytes += bytes;
    } else {
      byType.set(typeUrl, { responses: 1, bytes });
    }
  }

  /** Hand every non-zero count to `apply` and start again from zero (entries are kept: the same few recur). */
  drain(apply: (variant: string, typeUrl: string, responses: number, bytes: number) => void): void {
    for (const [variant, byType] of this.#byVariant) {
      for (const [typeUrl, counts] of byType) {
        if (counts.responses === 0) continue;
        apply(variant, typeUrl, counts.responses, counts.bytes);
        counts.responses = 0;
        counts.bytes = 0;
      }
    }
  }
}

/** One label value's buckets (not cumulative), sum and count. */
interface Series {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** One exported sample, as prom-client's histogram gives it. */
interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

/** A histogram with one label, registered in prom-client registries. */
export class LabelledHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  /** --processes N: summed over processes, as prom-client's histograms are. */
  readonly aggregator = 'sum';
  readonly #labelName: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, Series>();

  constructor(opts: { name: string; help: string; labelName: string; buckets: readonly number[]; registers: readonly client.Registry[] }) {
    this.name = opts.name;
    this.help = opts.help;
    this.#labelName = opts.labelName;
    this.#bounds = [...opts.buckets].sort((a, b) => a - b);
    // The registry only calls name, get(), reset() and reads type/help/aggregator.
    for (const registry of opts.registers) registry.registerMetric(this as unknown as client.Metric);
  }

  observe(labelValue: string, value: number): void {
    let series = this.#series.get(labelValue);
    if (!series) this.#series.set(labelValue, (series = { counts: new Float64Array(this.#bounds.length), sum: 0, count: 0 }));
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) series.counts[i] = (series.counts[i] as number) + 1;
    series.sum += value;
    series.count++;
  }

  /** The samples prom-client's Histogram.get() would give: cumulative buckets, +Inf, sum, count per label value. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const [labelValue, series] of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += series.counts[i] as number;
        values.push({ labels: { le, [this.#labelName]: labelValue }, value: cumulative, metricName: bucketName });
      });
      values.push({ labels: { le: '+Inf', [this.#labelName]: labelValue }, value: series.count, metricName: bucketName });
      values.push({ labels: { [this.#labelName]: labelValue }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { [this.#labelName]: labelValue }, value: series.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.#series.clear();
  }
}

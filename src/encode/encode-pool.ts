/**
 * @module encode/encode-pool
 * The piscina pool that parses, validates, encodes and hashes resources off
 * the event loop (DESIGN.md principle 5). Big batches are split across the
 * workers; results come back in moved ArrayBuffers and are sliced, not copied.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Piscina } from 'piscina';
import type { RawResource, ConfigProblem, NodeGroupSpec } from '../source/raw-resource';
import type { ResourceText } from '../source/resource-text';
import type { EncodedResource } from './encoded-resource';
import type { DocumentInput, EncodeTask, EncodeTaskResult } from './messages';

/** Below this many resources a batch is not worth splitting across workers. */
const MIN_RESOURCES_PER_TASK = 200;

/** What the pool returns for a batch: every resource that encoded, and every problem found. */
export interface EncodeOutcome {
  readonly resources: EncodedResource[];
  readonly groups: NodeGroupSpec[];
  readonly problems: ConfigProblem[];
}

/** Default worker count: leave one core to the event loop on small machines. */
export function defaultWorkerCount(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

/** Owns the worker threads; one per server. */
export class EncodePool {
  readonly #pool: Piscina<EncodeTask, EncodeTaskResult>;
  readonly #threads: number;
  #resourcesEncoded = 0;

  constructor(threads: number = defaultWorkerCount()) {
    this.#threads = Math.max(1, threads);
    this.#pool = new Piscina({
      filename: path.join(__dirname, 'encode-worker.js'),
      minThreads: this.#threads,
      maxThreads: this.#threads,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
  }

  /** Resources encoded since start; tests use it to prove nothing is encoded per stream. */
  get resourcesEncoded(): number {
    return this.#resourcesEncoded;
  }

  /** Worker count. */
  get threads(): number {
    return this.#threads;
  }

  /** Queue length and utilisation, for metrics. */
  get load(): { queued: number; utilization: number } {
    return { queued: this.#pool.queueSize, utilization: this.#pool.utilization };
  }

  /** Parse, validate and encode config documents (one task per document). */
  async encodeDocuments(documents: readonly DocumentInput[]): Promise<EncodeOutcome> {
    return this.#collect(documents.map((d) => ({ documents: [d] })));
  }

  /** Validate and encode raw resources, split across the workers. */
  async encodeResources(resources: readonly RawResource[]): Promise<EncodeOutcome> {
    const perTask = Math.max(MIN_RESOURCES_PER_TASK, Math.ceil(resources.length / this.#threads));
    const tasks: EncodeTask[] = [];
    for (let i = 0; i < resources.length; i += perTask) tasks.push({ resources: resources.slice(i, i + perTask) });
    return this.#collect(tasks);
  }

  /** Parse, check and encode stored resource texts (etcd values), split across the workers. */
  async encodeResourceTexts(texts: readonly ResourceText[]): Promise<EncodeOutcome> {
    const perTask = Math.max(MIN_RESOURCES_PER_TASK, Math.ceil(texts.length / this.#threads));
    const tasks: EncodeTask[] = [];
    for (let i = 0; i < texts.length; i += perTask) tasks.push({ texts: texts.slice(i, i + perTask) });
    return this.#collect(tasks);
  }

  async #collect(tasks: EncodeTask[]): Promise<EncodeOutcome> {
    const results = await Promise.all(tasks.map((t) => this.#pool.run(t)));
    const outcome: EncodeOutcome = { resources: [], groups: [], problems: [] };
    for (const result of results) {
      const data = Buffer.from(result.data);
      for (const m of result.metas) {
        outcome.resources.push({
          typeUrl: m.typeUrl,
          name: m.name,
          version: m.version,
          group: m.group,
          file: m.file,
          location: m.location,
          refs: m.refs,
          aliases: m.aliases,
          sotwEntry: data.subarray(m.sotwOffset, m.sotwOffset + m.sotwLength),
          deltaEntry: data.subarray(m.deltaOffset, m.deltaOffset + m.deltaLength),
        });
      }
      this.#resourcesEncoded += result.freshlyEncoded;
      outcome.groups.push(...result.groups);
      outcome.problems.push(...result.problems);
    }
    return outcome;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

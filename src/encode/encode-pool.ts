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
import { EncodePoolError, isTransientError } from '../errors';
import { libraryMessage } from '../observe/excerpt';

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

/** Largest default old-generation heap of a worker, in MiB: a 63 MiB YAML config (the default size limit) loads in it. */
export const MAX_DEFAULT_WORKER_HEAP_MB = 4096;
/** Smallest default, in MiB: a worker needs about 40 MiB to load the Envoy protos. */
const MIN_DEFAULT_WORKER_HEAP_MB = 512;

/**
 * Default old-generation heap of each worker, in MiB: a quarter of physical
 * memory (V8's own rule for a heap), between 512 and 4096. Parsing is where a
 * big config costs memory (YAML about 60x its size at peak, JSON about 15x;
 * see README "Config size limits"): a file that needs more fails in its
 * worker with a clear problem, and the server keeps serving.
 */
export function defaultWorkerHeapMb(): number {
  const quarter = Math.floor(os.totalmem() / 4 / (1024 * 1024));
  return Math.min(MAX_DEFAULT_WORKER_HEAP_MB, Math.max(MIN_DEFAULT_WORKER_HEAP_MB, quarter));
}

/** Options beyond the thread count. */
export interface EncodePoolOptions {
  /** Old-generation heap limit of each worker in MiB (`--worker-heap-mb`). */
  readonly workerHeapMb?: number;
  /** Called for a pool failure outside any batch (a worker that failed to start or died idle). */
  readonly onError?: (err: Error) => void;
}

/** One piscina instance, its first failure, and the batches in flight to tell about one. */
interface Generation {
  readonly pool: Piscina<EncodeTask, EncodeTaskResult>;
  /**
   * One callback per batch in flight, removed when the batch ends. Not one
   * long-lived promise raced by every batch: each race would leave a
   * reaction on it holding that batch's results for the pool's lifetime.
   */
  readonly onFailure: Set<(err: Error) => void>;
  failure: Error | undefined;
}

/** What one task gave: its result, or the error it failed with. */
type Settled = { readonly result: EncodeTaskResult } | { readonly error: unknown };

/**
 * Owns the worker threads; one per server. A worker that cannot start (EMFILE
 * while loading its code or protos) or dies makes piscina emit `'error'`,
 * which unhandled would end the process; here it fails the batches in flight
 * with a transient EncodePoolError, and the next batch starts a fresh pool.
 */
export class EncodePool {
  #gen: Generation;
  readonly #threads: number;
  readonly #workerHeapMb: number;
  readonly #onError: ((err: Error) => void) | undefined;
  #resourcesEncoded = 0;

  constructor(threads: number = defaultWorkerCount(), options: EncodePoolOptions = {}) {
    this.#threads = Math.max(1, threads);
    this.#workerHeapMb = options.workerHeapMb ?? defaultWorkerHeapMb();
    this.#onError = options.onError;
    this.#gen = this.#start();
  }

  #start(): Generation {
    const pool = new Piscina<EncodeTask, EncodeTaskResult>({
      filename: path.join(__dirname, 'encode-worker.js'),
      minThreads: this.#threads,
      maxThreads: this.#threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: this.#workerHeapMb },
    });
    const gen: Generation = { pool, onFailure: new Set(), failure: undefined };
    pool.on('error', (err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      gen.failure ??= error;
      for (const fail of gen.onFailure) fail(error);
      this.#onError?.(error);
    });
    return gen;
  }

  /** The pool to run on: a fresh one if the current one failed or has no worker left (piscina stops replacing workers that fail to start). */
  #healthy(): Generation {
    const gen = this.#gen;
    if (gen.failure === undefined && gen.pool.threads.length > 0) return gen;
    this.#gen = this.#start();
    void gen.pool.destroy().catch(() => undefined);
    return this.#gen;
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
    return { queued: this.#gen.pool.queueSize, utilization: this.#gen.pool.utilization };
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
    const gen = this.#healthy();
    const runs = tasks.map((t) =>
      gen.pool.run(t, { transferList: transferablesOf(t) }).then(
        (result): Settled => ({ result }),
        (error: unknown): Settled => ({ error }),
      ),
    );
    let fail: (err: Error) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    gen.onFailure.add(fail);
    let settled: Settled[];
    try {
      settled = await Promise.race([Promise.all(runs), failed]);
    } catch (err) {
      throw new EncodePoolError(`the encode worker pool failed: ${(err as Error).message}; retrying with a fresh pool`, err);
    } finally {
      gen.onFailure.delete(fail);
    }
    const outcome: EncodeOutcome = { resources: [], groups: [], problems: [] };
    settled.forEach((s, i) => {
      if ('error' in s) {
        outcome.problems.push(this.#taskProblem(tasks[i] as EncodeTask, s.error));
        return;
      }
      const result = s.result;
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
    });
    return outcome;
  }

  /**
   * A failed task as a problem of its file. Out of memory refuses the file
   * (the limit and how to raise it); a worker that died or could not start
   * is transient and thrown, so the reload is retried.
   */
  #taskProblem(task: EncodeTask, err: unknown): ConfigProblem {
    const file = task.documents?.[0]?.file ?? task.resources?.[0]?.file ?? '(batch)';
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return {
        file,
        message: `parsing and encoding needed more than the encode worker heap limit of ${this.#workerHeapMb} MiB; raise --worker-heap-mb (workerHeapMb), or split the file (YAML takes about 60 bytes of memory per byte of text, JSON about 15)`,
        refusal: 'worker_heap_mb',
      };
    }
    if (isTransientError(err) || /worker exited|terminat/i.test((err as Error)?.message ?? '')) {
      throw new EncodePoolError(`an encode worker failed while reading ${file}: ${(err as Error)?.message ?? String(err)}`, err);
    }
    // An exception in the worker on this input (e.g. nesting deep enough to overflow the stack): the file's fault, not the pool's.
    return { file, message: `cannot process: ${libraryMessage((err as Error)?.message ?? String(err))}` };
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    await this.#gen.pool.destroy();
  }
}

/**
 * ArrayBuffers a task can give away instead of copying: config bytes read
 * into buffers of their own (never a pooled Buffer's shared slab).
 */
function transferablesOf(task: EncodeTask): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const d of task.documents ?? []) {
    if (!('bytes' in d)) continue;
    const { buffer, byteOffset, byteLength } = d.bytes;
    if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) out.push(buffer);
  }
  return out;
}

/**
 * @module config-reloader
 * Reads the config path and applies it, on start and on every change the
 * watcher reports. One reload runs at a time (a change during a reload runs
 * one more after it, so an older read never lands after a newer one). A
 * reload that fails for a transient reason (EMFILE, EAGAIN, a read past its
 * deadline, an encode worker that could not start) is retried with backoff
 * until it succeeds or the next change supersedes it; any other failure is
 * rejected and logged, and the last good configuration keeps serving.
 */
import type { Logger } from 'pino';
import { ConfigReadError, isTransientError } from './errors';
import type { ConfigReader } from './source';
import type { ConfigApplier } from './config-applier';
import type { ServerMetrics } from './observe/metrics';
import type { ApplyResult } from './api-types';

/** First retry delay after a transient failure, in ms; doubles up to RETRY_MAX_DELAY_MS. */
export const RETRY_FIRST_DELAY_MS = 100;
/** Longest delay between retries, in ms. */
export const RETRY_MAX_DELAY_MS = 5_000;
/** How long the first load retries a transient failure before the server refuses to start, in ms. */
export const FIRST_LOAD_RETRY_MS = 30_000;

/** What the reloader works with. */
export interface ReloaderDeps {
  readonly configPath: string;
  readonly reader: ConfigReader;
  readonly applier: ConfigApplier;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
}

/** One attempt: applied or rejected (`result`), or failed transiently (`transient`). */
type Attempt = { readonly result: ApplyResult } | { readonly transient: Error };

/** Short reason label for logs and the retry metric. */
function reasonOf(err: Error): string {
  if (err instanceof ConfigReadError && err.reason !== 'io') return err.reason;
  const code = (err as { code?: unknown }).code;
  if (code === 'XDS_ERR_ENCODE_POOL') return 'encode_pool';
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof code === 'string' ? code : 'unknown';
}

/** Backoff delay before retry number `attempt` (0-based). */
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_FIRST_DELAY_MS * 2 ** attempt, RETRY_MAX_DELAY_MS);
}

/** Reloads the config path on demand, serialised, with retries. */
export class ConfigReloader {
  readonly #deps: ReloaderDeps;
  readonly #log: Logger;
  #running = false;
  #again = false;
  #closed = false;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Settles when the current run (and any run it chains) is over; tests and stop() wait on it. */
  #idle: Promise<void> = Promise.resolve();

  constructor(deps: ReloaderDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'config-reloader' });
  }

  /** The first load: transient failures are retried for up to FIRST_LOAD_RETRY_MS, then the result says why. */
  async loadFirst(): Promise<ApplyResult> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#tryOnce();
      if ('result' in outcome) return outcome.result;
      const delay = retryDelayMs(attempt);
      if (Date.now() - started + delay > FIRST_LOAD_RETRY_MS) {
        const { configPath } = this.#deps;
        const err = outcome.transient;
        const [file, detail] = err instanceof ConfigReadError ? [err.file, err.detail] : [configPath, err.message];
        return this.#deps.applier.reject(configPath, [
          { file, message: `${detail} (still failing after ${Math.round((Date.now() - started) / 1000)} s of retries; check the open-file limit and the filesystem)` },
        ]);
      }
      this.#noteRetry(outcome.transient, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** The watched path changed: reload now; a pending retry is superseded. */
  changed(): void {
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#attempt = 0;
    this.#kick();
  }

  /** Stop retrying; a reload in progress finishes. */
  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    return this.#idle;
  }

  #kick(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#idle = this.#run();
  }

  async #run(): Promise<void> {
    let outcome: Attempt;
    do {
      this.#again = false;
      outcome = await this.#tryOnce();
    } while (this.#again && !this.#closed);
    this.#running = false;
    if (this.#closed) return;
    if ('result' in outcome) {
      this.#attempt = 0;
      return;
    }
    const delay = retryDelayMs(this.#attempt++);
    this.#noteRetry(outcome.transient, delay);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#kick();
    }, delay);
    this.#retryTimer.unref();
  }

  #noteRetry(err: Error, delayMs: number): void {
    const reason = reasonOf(err);
    this.#deps.metrics.reloadRetried(reason);
    this.#log.warn(
      { source: this.#deps.configPath, reason, retryInMs: delayMs, error: err.message },
      this.#deps.applier.loaded
        ? 'configuration not read for a transient reason; retrying, still serving the last good configuration'
        : 'configuration not read for a transient reason; retrying (no configuration has been applied yet)',
    );
  }

  /** Read and apply once. Never throws: a failure is a rejection or a transient error to retry. */
  async #tryOnce(): Promise<Attempt> {
    const { configPath, reader, applier } = this.#deps;
    try {
      const files = await reader.read(configPath);
      return { result: await applier.loadConfigDocuments(files, configPath) };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (isTransientError(error)) return { transient: error };
      if (error instanceof ConfigReadError) {
        const refusal = error.reason === 'io' ? undefined : error.reason;
        return { result: applier.reject(configPath, [{ file: error.file, message: error.detail, refusal }]) };
      }
      return { result: applier.reject(configPath, [{ file: configPath, message: `cannot apply: ${error.message}` }]) };
    }
  }
}

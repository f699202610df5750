/**
 * @module transport/write-budget
 * Server-wide bounds on large response bytes handed to gRPC but not yet
 * flushed to a socket. Without them, an initial sync of thousands of nodes
 * queues hundreds of megabytes of copies inside grpc-js and HTTP/2 at once,
 * and clients that never read pin one response each for as long as they
 * stay connected.
 *
 * Two ledgers, each with its own limit:
 * - in flight: writes to streams that are reading. Streams wait their turn
 *   (FIFO) while it is full, so memory stays flat during a big sync; small
 *   update fan-outs (under BUDGETED_WRITE_MIN_BYTES) bypass it.
 * - stalled: a write not flushed after WRITE_STALL_MS (a client that
 *   stopped reading) moves here, so it cannot starve the streams that read.
 *   Each stream has at most one unflushed large response (stream-writer.ts),
 *   so this ledger holds one response per non-reading stream. When it goes
 *   over its limit, the stream stalled longest is evicted (its HTTP/2 stream
 *   reset), which frees that response.
 *
 * So the bytes of unflushed large responses never exceed the in-flight limit
 * (plus the one write admitted last) plus the stalled limit.
 */

/** Default bound on unflushed response bytes to streams that are reading. */
export const DEFAULT_MAX_INFLIGHT_BYTES = 32 * 1024 * 1024;
/** Default bound on unflushed response bytes to streams that stopped reading. */
export const DEFAULT_MAX_STALLED_BYTES = 128 * 1024 * 1024;
/**
 * Writes smaller than this bypass the budget: they are what update fan-outs
 * send, their total is small, and skipping the accounting keeps a per-stream
 * timer off the fan-out path.
 */
export const BUDGETED_WRITE_MIN_BYTES = 16 * 1024;
/** After this long an unflushed write counts as stalled instead of in flight. */
export const WRITE_STALL_MS = 5_000;

/** Shared by every stream of one server. */
export class WriteBudget {
  readonly limitBytes: number;
  readonly stalledLimitBytes: number;
  #inFlight = 0;
  #stalled = 0;
  readonly #waiters = new Set<() => void>();
  /** Stalled writes by their eviction callback, oldest first (Map keeps insertion order). */
  readonly #stalledWrites = new Map<() => void, number>();

  constructor(limitBytes: number = DEFAULT_MAX_INFLIGHT_BYTES, stalledLimitBytes: number = DEFAULT_MAX_STALLED_BYTES) {
    this.limitBytes = limitBytes;
    this.stalledLimitBytes = stalledLimitBytes;
  }

  /** Bytes currently counted as in flight. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Bytes of writes stalled past WRITE_STALL_MS and not yet flushed. */
  get stalled(): number {
    return this.#stalled;
  }

  /** Streams holding a stalled write. */
  get stalledStreams(): number {
    return this.#stalledWrites.size;
  }

  /** Streams waiting for room. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Whether another write may start now; if not, `wake` runs once there is room. */
  reserveTurn(wake: () => void): boolean {
    if (this.#inFlight < this.limitBytes) return true;
    this.#waiters.add(wake);
    return false;
  }

  /** Stop waiting (stream closed). */
  forget(wake: () => void): void {
    this.#waiters.delete(wake);
  }

  /** Count a write. */
  add(bytes: number): void {
    this.#inFlight += bytes;
  }

  /** A write flushed (or its stream closed) while in flight. */
  release(bytes: number): void {
    this.#inFlight -= bytes;
    for (const wake of this.#waiters) {
      if (this.#inFlight >= this.limitBytes) break;
      this.#waiters.delete(wake);
      wake();
    }
  }

  /**
   * An in-flight write passed WRITE_STALL_MS: move it to the stalled ledger.
   * `evict` is called (once) if it must go to keep the ledger within its
   * limit; the caller then resets its stream. Eviction takes the oldest
   * stalled writes first: those clients have gone longest without reading.
   */
  stall(bytes: number, evict: () => void): void {
    this.#stalled += bytes;
    this.#stalledWrites.set(evict, bytes);
    this.release(bytes);
    for (const [victim, held] of this.#stalledWrites) {
      if (this.#stalled <= this.stalledLimitBytes) break;
      this.#stalledWrites.delete(victim);
      this.#stalled -= held;
      victim();
    }
  }

  /** A stalled write flushed after all, or its stream closed. */
  unstall(evict: () => void): void {
    const held = this.#stalledWrites.get(evict);
    if (held === undefined) return;
    this.#stalledWrites.delete(evict);
    this.#stalled -= held;
  }
}

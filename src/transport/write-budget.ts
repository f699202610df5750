/**
 * @module transport/write-budget
 * A server-wide bound on response bytes handed to gRPC but not yet flushed
 * to a socket. Without it, an initial sync of thousands of nodes queues
 * hundreds of megabytes of copies inside grpc-js and HTTP/2 at once; with it,
 * streams wait their turn (FIFO) and memory stays flat, while a small update
 * fan-out (a few hundred bytes per stream) bypasses it.
 *
 * A write whose flush never completes (a client that stopped reading) gives
 * its bytes back after WRITE_STALL_MS so it cannot starve everyone else; its
 * stream sends nothing more until the client reads and ACKs.
 */

/** Default bound on unflushed response bytes across all streams. */
export const DEFAULT_MAX_INFLIGHT_BYTES = 32 * 1024 * 1024;
/**
 * Writes smaller than this bypass the budget: they are what update fan-outs
 * send, their total is small, and skipping the accounting keeps a per-stream
 * timer off the fan-out path.
 */
export const BUDGETED_WRITE_MIN_BYTES = 16 * 1024;
/** After this long an unflushed write stops counting against the budget. */
export const WRITE_STALL_MS = 5_000;

/** Shared by every stream of one server. */
export class WriteBudget {
  readonly limitBytes: number;
  #inFlight = 0;
  readonly #waiters = new Set<() => void>();

  constructor(limitBytes: number = DEFAULT_MAX_INFLIGHT_BYTES) {
    this.limitBytes = limitBytes;
  }

  /** Bytes currently counted as in flight. */
  get inFlight(): number {
    return this.#inFlight;
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

  /** A write flushed (or stalled past WRITE_STALL_MS, or its stream closed). */
  release(bytes: number): void {
    this.#inFlight -= bytes;
    for (const wake of this.#waiters) {
      if (this.#inFlight >= this.limitBytes) break;
      this.#waiters.delete(wake);
      wake();
    }
  }
}

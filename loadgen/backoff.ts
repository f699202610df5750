/**
 * @module loadgen/backoff
 * Envoy's reconnect backoff for xDS streams: fully jittered exponential
 * backoff from 500 ms up to 30 s (JitteredExponentialBackOffStrategy with
 * the gRPC mux defaults), reset once the server answers.
 */

/** First reconnect ceiling, in ms. */
export const RECONNECT_BASE_MS = 500;
/** Largest reconnect ceiling, in ms. */
export const RECONNECT_MAX_MS = 30_000;

/** Per-stream reconnect delays. */
export class Backoff {
  #attempt = 0;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The delay before the next attempt; each call widens the window, up to the max. */
  nextDelayMs(): number {
    const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.#attempt);
    if (ceiling < RECONNECT_MAX_MS) this.#attempt++;
    return Math.floor(this.#random() * ceiling);
  }

  /** Back to the shortest window (the stream got a response). */
  reset(): void {
    this.#attempt = 0;
  }
}

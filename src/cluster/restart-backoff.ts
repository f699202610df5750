/**
 * @module cluster/restart-backoff
 * How long the primary waits before restarting a serving process that died.
 * A process that crashes at once (bad host state, a crash on load) must not
 * be forked in a tight loop, and one that served for a while and then died
 * should come back quickly: the delay doubles with each quick death and
 * starts over once a process has run long enough.
 */

/** First restart delay, in ms. */
export const FIRST_RESTART_DELAY_MS = 100;
/** Largest restart delay, in ms. */
export const MAX_RESTART_DELAY_MS = 10_000;
/** A process that ran this long before dying counts as healthy: the next delay starts over. */
export const HEALTHY_RUN_MS = 30_000;

/** The restart delay of one serving-process slot. */
export class RestartBackoff {
  #quickDeaths = 0;

  /** The delay before restarting a process that ran `ranMs` before it died. */
  next(ranMs: number): number {
    if (ranMs >= HEALTHY_RUN_MS) this.#quickDeaths = 0;
    const delay = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** this.#quickDeaths);
    // Stop growing the exponent once the cap is reached (2 ** big is still finite, but pointless).
    if (delay < MAX_RESTART_DELAY_MS) this.#quickDeaths++;
    return delay;
  }
}

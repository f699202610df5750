/**
 * @module observe/counted-log
 * One log line per burst of a repeated event, with a count. The server
 * closes connections and streams on its own initiative (refusal at the
 * connection cap, the idle backstop, stalled-write eviction) in bursts of
 * thousands under overload; a line per event would flood the log, and none
 * at all leaves an operator guessing why clients reconnect. The first event
 * is logged at once (count 1), then one line per interval carries how many
 * more happened in it, until an interval passes with none.
 */
import type { Logger } from 'pino';

/** Default: at most one line per this interval while events go on. */
export const COUNTED_LOG_INTERVAL_MS = 10_000;

/** What one line carries besides the count: fields of the last event, and the message. */
export type CountedLine = (count: number) => { readonly fields: Readonly<Record<string, unknown>>; readonly msg: string };

/** Rate-limited logging of one kind of event. */
export class CountedLog {
  readonly #log: Logger;
  readonly #level: 'info' | 'warn';
  readonly #line: CountedLine;
  readonly #intervalMs: number;
  #pending = 0;
  #total = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(log: Logger, level: 'info' | 'warn', line: CountedLine, intervalMs = COUNTED_LOG_INTERVAL_MS) {
    this.#log = log;
    this.#level = level;
    this.#line = line;
    this.#intervalMs = intervalMs;
  }

  /** Events noted over the life of this log. */
  get total(): number {
    return this.#total;
  }

  /** One more event: logged now if it is the first of a burst, else counted into the next line. */
  note(): void {
    this.#total++;
    if (this.#timer) {
      this.#pending++;
      return;
    }
    this.#write(1);
    this.#arm();
  }

  /** Stop the timer (server stopping); events still pending are logged now. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending > 0) this.#write(this.#pending);
    this.#pending = 0;
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      const n = this.#pending;
      this.#pending = 0;
      this.#timer = undefined;
      if (n === 0) return;
      this.#write(n);
      this.#arm();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #write(count: number): void {
    const { fields, msg } = this.#line(count);
    this.#log[this.#level]({ ...fields, count, total: this.#total }, msg);
  }
}

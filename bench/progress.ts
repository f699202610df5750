/**
 * @module bench/progress
 * The live progress line on stderr: rewritten in place on a terminal,
 * printed every few seconds otherwise (CI logs stay readable).
 */

/** How often the line is redrawn on a terminal / printed otherwise, in ms. */
const TTY_INTERVAL_MS = 250;
const LOG_INTERVAL_MS = 5_000;

/** A progress line fed by a callback that renders the current state. */
export class ProgressLine {
  readonly #render: () => string;
  readonly #tty: boolean;
  readonly #timer: NodeJS.Timeout;
  #quiet: boolean;

  constructor(render: () => string, quiet = false) {
    this.#render = render;
    this.#tty = Boolean(process.stderr.isTTY);
    this.#quiet = quiet;
    this.#timer = setInterval(() => this.draw(), this.#tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS);
    this.#timer.unref();
  }

  draw(): void {
    if (this.#quiet) return;
    const line = this.#render();
    process.stderr.write(this.#tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  /** Print a permanent message above the line. */
  note(message: string): void {
    if (this.#quiet) return;
    process.stderr.write(this.#tty ? `\r\x1b[K${message}\n` : `${message}\n`);
  }

  stop(): void {
    clearInterval(this.#timer);
    if (!this.#quiet) {
      this.draw();
      if (this.#tty) process.stderr.write('\n');
    }
    this.#quiet = true;
  }
}

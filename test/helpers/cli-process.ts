/**
 * @module test/helpers/cli-process
 * The real CLI (`node build/src/main.js`) as a child process: what an
 * operator runs, with its signal handling and process exit. Reads the pino
 * JSON log lines from stdout, waits for the machine-readable `ready` line
 * for the bound ports, and reports how and when the process exited.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const READY_TIMEOUT_MS = 20_000;

/** How the process ended. */
export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** performance.now() when the exit was seen. */
  readonly at: number;
}

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** A running CLI. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  readonly exited: Promise<CliExit>;
  #stderr = '';
  #partial = '';
  #onLine: ((l: LogLine) => void)[] = [];
  grpcPort = 0;
  adminPort: number | undefined;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const lines = (this.#partial + chunk).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const text of lines) {
        if (text.trim() === '') continue;
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { msg: text };
        }
        this.logs.push(line);
        for (const f of [...this.#onLine]) f(line);
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
  }

  /**
   * Start `main.js` with `args`; resolves once it logged `ready` (or rejects
   * with its stderr). `fdLimit` runs it under `ulimit -n` (through sh), as an
   * operator's service manager may; `readyTimeoutMs` allows a slow start.
   */
  static async start(args: readonly string[], options: { fdLimit?: number; readyTimeoutMs?: number } = {}): Promise<CliProcess> {
    const main = path.join(__dirname, '..', '..', 'src', 'main.js');
    const child =
      options.fdLimit === undefined
        ? spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('sh', ['-c', `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const cli = new CliProcess(child);
    try {
      const ready = await Promise.race([
        cli.waitForLog((l) => l.msg === 'ready', options.readyTimeoutMs ?? READY_TIMEOUT_MS),
        cli.exited.then((e) => Promise.reject(new Error(`CLI exited before ready (${e.code ?? e.signal}): ${cli.stderr}`))),
      ]);
      cli.grpcPort = Number(ready['grpcPort']);
      cli.adminPort = ready['adminPort'] === undefined ? undefined : Number(ready['adminPort']);
      return cli;
    } catch (err) {
      cli.child.kill('SIGKILL');
      throw err;
    }
  }

  /** What the process wrote to stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with the first log line (already seen or future) matching `pred`. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const seen = this.logs.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (l: LogLine): void => {
        if (!pred(l)) return;
        clearTimeout(timer);
        this.#onLine = this.#onLine.filter((f) => f !== listener);
        resolve(l);
      };
      const timer = setTimeout(() => {
        this.#onLine = this.#onLine.filter((f) => f !== listener);
        reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${this.#stderr}`));
      }, timeoutMs);
      this.#onLine.push(listener);
    });
  }

  /** Send a signal. */
  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Make sure the process is gone (SIGKILL if needed). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

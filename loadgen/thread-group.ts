/**
 * @module loadgen/thread-group
 * Some of the fleet's worker threads in this process: starts them with
 * their global worker index (node i belongs to worker i mod workerCount,
 * whatever process the worker lives in), hands every report to `onReport`,
 * and stops them. The in-process fleet and each loadgen child process
 * (loadgen/fleet-process) run one.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FleetOptions, ToWorker, WorkerProgress } from './messages';

/** How long stopping waits for the workers' final reports, in ms. */
export const STOP_TIMEOUT_MS = 10_000;

/** Running worker threads of one process. */
export class ThreadGroup {
  readonly #workers: Worker[] = [];
  readonly #finals: Promise<void>[] = [];

  constructor(options: FleetOptions, workerIndices: readonly number[], workerCount: number, onReport: (m: WorkerProgress) => void) {
    for (const workerIndex of workerIndices) {
      const w = new Worker(path.join(__dirname, 'fleet-worker.js'));
      w.unref();
      let resolveFinal!: () => void;
      this.#finals.push(new Promise<void>((resolve) => (resolveFinal = resolve)));
      w.on('message', (m: WorkerProgress) => {
        onReport(m);
        if (m.final) resolveFinal();
      });
      w.on('error', (err) => {
        process.stderr.write(`loadgen worker ${workerIndex} failed: ${err.stack ?? String(err)}\n`);
        resolveFinal();
      });
      w.on('exit', () => resolveFinal());
      const init: ToWorker = { kind: 'init', options, workerIndex, workerCount };
      w.postMessage(init);
      this.#workers.push(w);
    }
  }

  /** Close every node, wait for the final reports (at most {@link STOP_TIMEOUT_MS}), end the threads. */
  async stop(): Promise<void> {
    const stop: ToWorker = { kind: 'stop' };
    for (const w of this.#workers) w.postMessage(stop);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
    await Promise.race([Promise.all(this.#finals), timeout]);
    clearTimeout(timer);
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

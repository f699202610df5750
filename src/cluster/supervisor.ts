/**
 * @module cluster/supervisor
 * The primary of `--processes N`: forks N serving processes with node:cluster
 * (the primary owns the gRPC port and hands each connection to one of them:
 * ./connection-handoff.ts), restarts one that dies with a backoff,
 * drains them all on shutdown, and collects their metrics over IPC. It
 * serves no xDS and reads no configuration.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import * as client from 'prom-client';
import type { Logger } from 'pino';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { RestartBackoff } from './restart-backoff';
import { SERVING_PROCESS_ENV } from './serving-process';
import { isMetricsAnswer, isServingMessage } from './messages';
import type { MetricsRequest } from './messages';

/** How long a serving process gets to answer a metrics request before the scrape goes on without it. */
const METRICS_ANSWER_TIMEOUT_MS = 5_000;
/** Past the drain timeout, how long the primary waits for processes to exit before killing them. */
const EXIT_GRACE_MS = 5_000;

/** What the supervisor needs to fork serving processes. */
export interface SupervisorOptions {
  /** Number of serving processes. */
  readonly processes: number;
  /** Script each serving process runs (the CLI's main.js). */
  readonly exec: string;
  /** Its command-line arguments. */
  readonly args: readonly string[];
  /** The serving processes' own drain timeout (--drain-timeout-ms). */
  readonly drainTimeoutMs: number;
  readonly logger: Logger;
}

/** One serving process as the primary's admin port sees it. */
export interface ServingProcessInfo {
  readonly slot: number;
  readonly pid: number;
  readonly grpcPort: number;
  /** Its loopback admin port; undefined with --no-admin. */
  readonly adminPort: number | undefined;
}

type SlotState = 'starting' | 'serving' | 'restarting' | 'stopped';

interface Slot {
  readonly index: number;
  readonly backoff: RestartBackoff;
  state: SlotState;
  worker: Worker | undefined;
  startedAt: number;
  serving: ServingProcessInfo | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

/** Forks, watches and stops the serving processes. */
export class Supervisor {
  /** The primary's own metrics; the serving processes' are aggregated next to them. */
  readonly registry = new client.Registry();
  readonly #options: SupervisorOptions;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  readonly #restarts: client.Counter;
  #everServing = false;
  #stopping = false;
  #onAllServing: (() => void) | undefined;
  #onStartFailed: ((err: Error) => void) | undefined;
  #nextRequestId = 0;
  #env: Record<string, string> = { [SERVING_PROCESS_ENV]: '1' };

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'supervisor' });
    const slots = this.#slots;
    new client.Gauge({
      name: 'xds_serving_processes',
      help: 'Serving processes of --processes N by state: serving, starting (forked, not yet serving) or restarting (waiting out the restart backoff)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const state of ['serving', 'starting', 'restarting'] as const) this.set({ state }, slots.filter((s) => s.state === state).length);
      },
    });
    this.#restarts = new client.Counter({
      name: 'xds_serving_process_restarts_total',
      help: 'Serving processes that died unexpectedly and were forked again',
      registers: [this.registry],
    });
  }

  /**
   * Fork every serving process with `env` added to its environment; resolves
   * once each has reported serving, rejects if one dies first.
   */
  start(env: Readonly<Record<string, string>> = {}): Promise<void> {
    // No scheduling policy to choose: the serving processes listen only on their own loopback admin ports
    // (exclusive); the xDS port is the primary's own listener (connection-handoff.ts).
    this.#env = { ...env, [SERVING_PROCESS_ENV]: '1' };
    cluster.setupPrimary({ exec: this.#options.exec, args: [...this.#options.args] });
    return new Promise<void>((resolve, reject) => {
      this.#onAllServing = resolve;
      this.#onStartFailed = reject;
      for (let i = 0; i < this.#options.processes; i++) {
        const slot: Slot = { index: i, backoff: new RestartBackoff(), state: 'starting', worker: undefined, startedAt: 0, serving: undefined, restartTimer: undefined };
        this.#slots.push(slot);
        this.#fork(slot);
      }
    });
  }

  /** The serving processes that reported serving and are still connected. */
  serving(): ServingProcessInfo[] {
    const out: ServingProcessInfo[] = [];
    for (const s of this.#slots) if (s.state === 'serving' && s.serving && s.worker?.isConnected()) out.push(s.serving);
    return out;
  }

  /** The workers of the serving processes that reported serving and are still connected: where connections go. */
  servingWorkers(): Worker[] {
    const out: Worker[] = [];
    for (const s of this.#slots) if (s.state === 'serving' && s.worker?.isConnected()) out.push(s.worker);
    return out;
  }

  /** How many serving processes there should be. */
  get configured(): number {
    return this.#options.processes;
  }

  /** Each connected serving process's metrics (those that do not answer in time are left out). */
  async collectMetrics(): Promise<MetricObjectWithValues<MetricValue<string>>[][]> {
    const answers = await Promise.all(this.#slots.map((s) => (s.state === 'serving' && s.worker?.isConnected() ? this.#askMetrics(s.worker) : Promise.resolve(undefined))));
    return answers.filter((a): a is MetricObjectWithValues<MetricValue<string>>[] => a !== undefined);
  }

  /**
   * Drain every serving process (each runs its own SIGTERM drain) and resolve
   * once all have exited: true if every one exited 0. Processes still alive
   * past their drain timeout plus a grace period are killed.
   */
  async stop(signal: NodeJS.Signals): Promise<boolean> {
    this.#stopping = true;
    const exits: Promise<boolean>[] = [];
    for (const slot of this.#slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      const worker = slot.worker;
      // One still starting has nothing to drain: the signal may end it before it installs its handlers.
      const wasServing = slot.state === 'serving';
      slot.state = 'stopped';
      if (!worker || worker.isDead()) continue;
      exits.push(new Promise<boolean>((resolve) => worker.once('exit', (code, sig) => resolve((code === 0 && sig === null) || !wasServing))));
      worker.process.kill(signal);
    }
    const killTimer = setTimeout(() => {
      for (const slot of this.#slots) {
        if (slot.worker && !slot.worker.isDead()) {
          this.#log.error({ servingPid: slot.worker.process.pid, waitedMs: this.#options.drainTimeoutMs + EXIT_GRACE_MS }, 'serving process did not exit after its drain; killing it');
          slot.worker.process.kill('SIGKILL');
        }
      }
    }, this.#options.drainTimeoutMs + EXIT_GRACE_MS);
    const results = await Promise.all(exits);
    clearTimeout(killTimer);
    return results.every((ok) => ok);
  }

  #fork(slot: Slot): void {
    const worker = cluster.fork(this.#env);
    slot.worker = worker;
    slot.state = 'starting';
    slot.serving = undefined;
    slot.startedAt = Date.now();
    const pid = worker.process.pid ?? 0;
    this.#log.info({ slot: slot.index, servingPid: pid }, 'serving process forked');
    worker.on('message', (message: unknown) => {
      if (!isServingMessage(message) || slot.worker !== worker || this.#stopping) return;
      slot.state = 'serving';
      slot.serving = { slot: slot.index, pid, grpcPort: message.grpcPort, adminPort: message.adminPort };
      this.#log.info({ slot: slot.index, servingPid: pid, grpcPort: message.grpcPort }, 'serving process serving');
      if (!this.#everServing && this.#slots.length === this.#options.processes && this.#slots.every((s) => s.state === 'serving')) {
        this.#everServing = true;
        this.#onAllServing?.();
      }
    });
    worker.once('exit', (code, signal) => this.#exited(slot, worker, code, signal));
  }

  #exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker || this.#stopping) return;
    const ranMs = Date.now() - slot.startedAt;
    const pid = worker.process.pid;
    if (!this.#everServing) {
      // Before the fleet was ever up, a death is a startup failure (a bad flag, a port in use): the
      // process's own error is on stderr; restarting would only repeat it.
      slot.state = 'stopped';
      this.#onStartFailed?.(new Error(`serving process ${pid ?? '?'} exited during startup (${signal ?? `code ${code ?? '?'}`}); see its error above`));
      return;
    }
    const delayMs = slot.backoff.next(ranMs);
    slot.state = 'restarting';
    slot.serving = undefined;
    this.#restarts.inc();
    this.#log.error({ slot: slot.index, servingPid: pid, code, signal, ranMs, restartInMs: delayMs }, 'serving process died; restarting it (its nodes reconnect to the other processes meanwhile)');
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.#stopping) this.#fork(slot);
    }, delayMs);
  }

  #askMetrics(worker: Worker): Promise<MetricObjectWithValues<MetricValue<string>>[] | undefined> {
    const requestId = this.#nextRequestId++;
    return new Promise((resolve) => {
      const done = (value: MetricObjectWithValues<MetricValue<string>>[] | undefined): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (message: unknown): void => {
        if (!isMetricsAnswer(message) || message.requestId !== requestId) return;
        if (message.error !== undefined) this.#log.warn({ servingPid: worker.process.pid, error: message.error }, 'serving process could not collect its metrics');
        done(message.metrics);
      };
      const onExit = (): void => done(undefined);
      const timer = setTimeout(() => {
        this.#log.warn({ servingPid: worker.process.pid, timeoutMs: METRICS_ANSWER_TIMEOUT_MS }, 'serving process did not answer the metrics request; scrape goes on without it');
        done(undefined);
      }, METRICS_ANSWER_TIMEOUT_MS);
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      worker.send({ kind: 'fanout-xds:metrics-request', requestId } satisfies MetricsRequest, undefined, () => undefined);
    });
  }
}

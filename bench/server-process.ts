/**
 * @module bench/server-process
 * Our server as a separate child process (`node build/src/main.js --config
 * FILE --port N`), so its CPU and memory are measured apart from the
 * loadgen's. Its pino log on stdout tells the bench when it is ready and
 * when it applied each config change ("configuration applied"): that moment
 * is the commit time of a change, not the file write (the server debounces
 * file events for ~200 ms before reading).
 *
 * With a log file, every line the server writes (pino JSON on stdout, its
 * serving processes' included; anything on stderr) is kept there too: a run
 * that dropped streams or failed can be read afterwards. At the end of a run
 * the counters of what the server closed or refused on its own are read from
 * its admin /metrics (`serverCounters()`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { LOOPBACK_HOST } from './loopback';

/** How long the server may take to start, in ms. */
const READY_TIMEOUT_MS = 60_000;
/** Grace period between SIGTERM and SIGKILL, in ms. */
const STOP_GRACE_MS = 5_000;
/** How often the server's /metrics is read for its event-loop delay, in ms. */
const LOOP_DELAY_POLL_MS = 1_000;
const LOOP_DELAY_P99 = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([-+0-9.eE]+|NaN)$/m;
/** Log lines kept for error messages. */
const TAIL_LINES = 30;
/** How long the end-of-run read of /metrics may take, in ms. */
const COUNTERS_TIMEOUT_MS = 5_000;
/**
 * Counters of what the server closed or refused on its own initiative, by
 * reason: kept in the bench result so a run with dropped streams says which.
 */
const SERVER_COUNTERS = ['xds_connections_refused_total', 'xds_connections_closed_total', 'xds_streams_rejected_total'] as const;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([-+0-9.eE]+)$/;

/** A config the server applied or rejected, from its log. */
export interface ApplyEvent {
  /** Epoch ms (pino `time`). */
  readonly at: number;
  readonly ok: boolean;
  readonly revision?: number;
  readonly detail?: string;
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Children still running, killed if the bench exits in any way. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** A running server child. */
export class ServerProcess {
  readonly target: string;
  /** The address it listens on (127.0.0.1, or 0.0.0.0 when the fleet needs several loopback addresses: bench/loopback). */
  readonly host: string;
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #applies: ApplyEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #tail: string[] = [];
  #exit: string | undefined;
  /** Whether the "ready" line was logged: with --processes N, only once every serving process is up. */
  #readyLogged = false;
  /** Streams opened minus closed, from the "stream opened"/"stream closed" log lines (log level info or lower). */
  #openStreams = 0;
  #streamsOpened = 0;
  /** Epoch ms when the server was found ready. */
  readyAt = NaN;
  /**
   * The server's event-loop delay p99 over its last metrics interval (prom-client
   * resets it on every scrape, so one scrape a second gives per-second figures), ms.
   * NaN until read, and for servers without our admin /metrics (the floor).
   */
  loopDelayMs = NaN;
  #loopDelayTimer: NodeJS.Timeout | undefined;
  /** Off by default: each /metrics read costs our server CPU the floor never pays, which skews ours/floor. */
  readonly #watchesLoopDelay: boolean;
  /** The admin port from the "ready" line, if the server has one. */
  #adminPort: number | undefined;
  readonly #logFile: fs.WriteStream | undefined;

  private constructor(child: ChildProcess, port: number, host: string, watchesLoopDelay: boolean, logFile: string | undefined) {
    this.#child = child;
    this.#logFile = logFile === undefined ? undefined : fs.createWriteStream(logFile);
    this.#logFile?.on('error', (err) => process.stderr.write(`cannot write the server log ${logFile}: ${err.message}\n`));
    this.host = host;
    this.#watchesLoopDelay = watchesLoopDelay;
    this.pid = child.pid as number;
    this.target = `127.0.0.1:${port}`;
    live.add(child);
    const keep = (line: string): void => {
      this.#tail.push(line.length > 400 ? line.slice(0, 400) + '…' : line);
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    };
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      this.#logFile?.write(line + '\n');
      if (line.includes('"configuration applied"') || line.includes('"configuration rejected')) {
        try {
          const j = JSON.parse(line) as { time: number; msg: string; revision?: number; problems?: string[] };
          this.#applies.push({ at: j.time, ok: j.msg === 'configuration applied', revision: j.revision, detail: j.problems?.join('; ') });
        } catch {
          /* not JSON: keep only in the tail */
        }
        this.#notify();
      }
      if (line.includes('"stream opened"')) {
        this.#streamsOpened++;
        this.#openStreams++;
        this.#notify();
      } else if (line.includes('"stream closed"')) {
        this.#openStreams--;
      } else {
        keep(line);
      }
      if (line.includes('"msg":"ready"')) this.#readyLogged = true;
      if (line.includes('"ready"')) {
        this.#noteAdminPort(line);
        if (this.#watchesLoopDelay) this.#watchLoopDelay();
        this.#notify();
      }
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      this.#logFile?.write(line + '\n');
      keep(line);
    });
    child.on('exit', (code, signal) => {
      live.delete(child);
      this.#logFile?.end();
      clearInterval(this.#loopDelayTimer);
      this.#exit = `exited with ${signal ?? code}`;
      this.#notify();
    });
  }

  /**
   * Start `build/src/main.js` (or `opts.script`, e.g. the floor server, which
   * takes the same flags and logs the same lines) on a config file, or on the
   * given source flags (e.g. `--etcd-endpoints … --etcd-prefix …`), and wait
   * until it serves.
   */
  static async start(
    source: string | readonly string[],
    opts: {
      logLevel: string;
      extraArgs?: readonly string[];
      nodeArgs?: readonly string[];
      /** Variables added to the inherited environment (e.g. an allocator's LD_PRELOAD). */
      env?: Readonly<Record<string, string>>;
      script?: string;
      port?: number;
      host?: string;
      watchLoopDelay?: boolean;
      /** Keep everything the server writes in this file. */
      logFile?: string;
    },
  ): Promise<ServerProcess> {
    const port = opts.port ?? (await freePort());
    const main = opts.script ?? path.join(__dirname, '..', 'src', 'main.js');
    const sourceArgs = typeof source === 'string' ? ['--config', source] : source;
    const host = opts.host ?? LOOPBACK_HOST;
    const args = [...(opts.nodeArgs ?? []), main, ...sourceArgs, '--port', String(port), '--host', host, '--admin-port', '0', '--log-level', opts.logLevel, ...(opts.extraArgs ?? [])];
    const env = opts.env && Object.keys(opts.env).length ? { ...process.env, ...opts.env } : process.env;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const server = new ServerProcess(child, port, host, opts.watchLoopDelay ?? false, opts.logFile);
    await server.#waitReady(port);
    server.readyAt = Date.now();
    return server;
  }

  #noteAdminPort(readyLine: string): void {
    try {
      const adminPort = (JSON.parse(readyLine) as { adminPort?: unknown }).adminPort;
      if (typeof adminPort === 'number') this.#adminPort = adminPort;
    } catch {
      /* not JSON: no admin port */
    }
  }

  /**
   * The server's counters of connections and streams it closed or refused on
   * its own (`name{labels}` → value; with --processes, summed by the primary),
   * or undefined for a server without our admin /metrics (the floor) or one
   * that did not answer.
   */
  async serverCounters(): Promise<Record<string, number> | undefined> {
    if (this.#adminPort === undefined || this.#exit) return undefined;
    try {
      const res = await fetch(`http://127.0.0.1:${this.#adminPort}/metrics`, { signal: AbortSignal.timeout(COUNTERS_TIMEOUT_MS) });
      const counters: Record<string, number> = {};
      for (const line of (await res.text()).split('\n')) {
        const m = SAMPLE.exec(line);
        if (m && (SERVER_COUNTERS as readonly string[]).includes(m[1] as string)) counters[`${m[1]}${m[2] ?? ''}`] = Number(m[3]);
      }
      return counters;
    } catch {
      return undefined;
    }
  }

  #watchLoopDelay(): void {
    if (this.#adminPort === undefined || this.#loopDelayTimer) return;
    const url = `http://127.0.0.1:${this.#adminPort}/metrics`;
    this.#loopDelayTimer = setInterval(() => {
      fetch(url, { signal: AbortSignal.timeout(LOOP_DELAY_POLL_MS) })
        .then((r) => r.text())
        .then((text) => {
          const m = LOOP_DELAY_P99.exec(text);
          this.loopDelayMs = m ? Number(m[1]) * 1000 : NaN;
        })
        .catch(() => (this.loopDelayMs = NaN));
    }, LOOP_DELAY_POLL_MS);
    this.#loopDelayTimer.unref();
  }

  #notify(): void {
    for (const w of this.#waiters) w();
  }

  /** Resolve when `predicate` holds (checked on every log event), or undefined after `timeoutMs`. */
  #until<T>(predicate: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const now = predicate();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = (): void => {
        const v = predicate();
        if (v !== undefined || this.#exit) done(v);
      };
      const done = (v: T | undefined): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#waiters.add(check);
    });
  }

  async #waitReady(port: number): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.#exit) throw new Error(`server ${this.#exit} before it was ready:\n${this.logTail()}`);
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (ok && this.#applies.some((a) => a.ok) && this.#readyLogged) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`server not ready after ${READY_TIMEOUT_MS} ms:\n${this.logTail()}`);
  }

  /**
   * The first apply (or rejection) logged at or after `sinceMs`, waiting up
   * to `timeoutMs`. Undefined if none: then the caller falls back to the
   * file write time.
   */
  waitApplied(sinceMs: number, timeoutMs: number): Promise<ApplyEvent | undefined> {
    return this.#until(() => this.#applies.find((a) => a.at >= sinceMs), timeoutMs);
  }

  /** Streams opened over the process life (counted from its log: needs log level info or lower). */
  get streamsOpened(): number {
    return this.#streamsOpened;
  }

  /** Streams open now (per the log: needs log level info or lower). */
  get openStreams(): number {
    return this.#openStreams;
  }

  /** Resolve true once at least `n` streams are open (per the log), false after `timeoutMs` or if it exits. */
  async waitOpenStreams(n: number, timeoutMs: number): Promise<boolean> {
    return (await this.#until(() => (this.#openStreams >= n ? true : undefined), timeoutMs)) === true;
  }

  /** The port it serves on. */
  get port(): number {
    return Number(this.target.slice(this.target.lastIndexOf(':') + 1));
  }

  /** SIGKILL, as a crash: no drain, streams end abruptly. Resolves once it has exited. */
  async crash(): Promise<void> {
    if (this.#exit) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGKILL');
    await exited;
  }

  /** Whether the child has exited, and how. */
  get exitInfo(): string | undefined {
    return this.#exit;
  }

  /** The last log lines (for error messages). */
  logTail(): string {
    return this.#tail.join('\n');
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (this.#exit) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * @module bench/etcd-launcher
 * A real etcd (Debian's `etcd-server`, /usr/bin/etcd; ETCD_BIN overrides),
 * for the bench's `--source etcd` and for the tests (test/helpers/etcd
 * re-exports it): one member on free loopback ports with a throwaway data
 * directory, ready once /health answers. Optional: TLS with client
 * certificates, and transaction limits (raised by default so one
 * transaction carries a whole configuration, or etcd's own 128 operations
 * and 1.5 MiB). `stop()` / `resume()` keep the data directory and ports, so
 * a caller can take etcd away and bring the same cluster back; `destroy()`
 * removes everything. It lives under bench/ because bench/ may not import
 * test/, while tests may import bench/: one launcher serves both.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './server-process';

/** Where Debian's etcd-server installs the binary; ETCD_BIN overrides. */
const ETCD_BIN = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';
const HEALTHY_TIMEOUT_MS = 30_000;
const HEALTH_POLL_MS = 50;
const STOP_TIMEOUT_MS = 10_000;
/** etcd's stderr kept for error messages, in characters. */
const LOG_KEEP_CHARS = 64 * 1024;

/** `--max-txn-ops`: one operation per key, and a 1000-cluster bench mesh is over 2000 keys. */
export const BENCH_ETCD_MAX_TXN_OPS = 1_000_000;
/** `--max-request-bytes`: the whole bench mesh's JSON in one transaction. */
export const BENCH_ETCD_MAX_REQUEST_BYTES = 256 * 1024 * 1024;

/** PEM material for an etcd that serves its clients over TLS and requires client certificates. */
export interface EtcdTls {
  /** CA that signed `server` and the client certificates etcd accepts. */
  readonly ca: Buffer;
  /** etcd's certificate (SAN 127.0.0.1) and key. */
  readonly server: { readonly cert: Buffer; readonly key: Buffer };
  /** A client certificate the launcher itself uses (health checks, etcdctl). */
  readonly client: { readonly cert: Buffer; readonly key: Buffer };
}

/** etcd's `--max-txn-ops` and `--max-request-bytes`. */
export interface EtcdLimits {
  readonly maxTxnOps: number;
  readonly maxRequestBytes: number;
}

/** Enough for one transaction to carry a whole `apply` of a large config. */
const RAISED_LIMITS: EtcdLimits = { maxTxnOps: BENCH_ETCD_MAX_TXN_OPS, maxRequestBytes: BENCH_ETCD_MAX_REQUEST_BYTES };

/** How to start an etcd. */
export interface EtcdProcessOptions {
  readonly tls?: EtcdTls;
  /** Transaction limits; `'etcd-defaults'` passes no flag (128 operations, 1.5 MiB). Default: raised. */
  readonly limits?: EtcdLimits | 'etcd-defaults';
  /** Directory the data directory is made in (default: the system temp directory). */
  readonly parentDir?: string;
  /** Kill etcd when this process exits (a bench that exits on Ctrl-C must not leave it behind). */
  readonly killOnExit?: boolean;
}

/** A running (or stopped) single-member etcd. */
export class EtcdProcess {
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly #tls: EtcdTls | undefined;
  readonly #limits: EtcdLimits | undefined;
  readonly #killOnExit: boolean;
  #child: ChildProcess | undefined;
  #log = '';
  readonly #killAtExit = (): void => void this.#child?.kill('SIGKILL');

  private constructor(clientPort: number, peerPort: number, dataDir: string, options: EtcdProcessOptions) {
    const tls = options.tls;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.dataDir = dataDir;
    this.#tls = tls;
    this.#limits = options.limits === 'etcd-defaults' ? undefined : (options.limits ?? RAISED_LIMITS);
    this.#killOnExit = options.killOnExit ?? false;
    if (tls) {
      fs.writeFileSync(path.join(dataDir, 'ca.crt'), tls.ca);
      fs.writeFileSync(path.join(dataDir, 'server.crt'), tls.server.cert);
      fs.writeFileSync(path.join(dataDir, 'server.key'), tls.server.key, { mode: 0o600 });
      fs.writeFileSync(path.join(dataDir, 'client.crt'), tls.client.cert);
      fs.writeFileSync(path.join(dataDir, 'client.key'), tls.client.key, { mode: 0o600 });
    }
  }

  /** Client URL, for `--etcd-endpoints` and the etcd3 client (`https://` with TLS). */
  get endpoint(): string {
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`;
  }

  /** The etcd process id while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Start a fresh etcd. Fails with an install hint when the binary is missing: nothing is skipped silently. */
  static async start(options: EtcdProcessOptions = {}): Promise<EtcdProcess> {
    if (!fs.existsSync(ETCD_BIN)) {
      throw new Error(`etcd not found at ${ETCD_BIN}: install Debian's etcd-server (apt-get install etcd-server), or set ETCD_BIN`);
    }
    const dataDir = fs.mkdtempSync(path.join(options.parentDir ?? os.tmpdir(), 'fanout-xds-etcd-'));
    const etcd = new EtcdProcess(await freePort(), await freePort(), dataDir, options);
    try {
      await etcd.resume();
    } catch (err) {
      await etcd.destroy();
      throw err;
    }
    return etcd;
  }

  /** (Re)start the process on the same data directory and ports; resolves once it answers /health. */
  async resume(): Promise<void> {
    if (this.#child) return;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const args = [
      '--name',
      'member',
      '--data-dir',
      path.join(this.dataDir, 'data'),
      '--listen-client-urls',
      this.endpoint,
      '--advertise-client-urls',
      this.endpoint,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `member=${peer}`,
      '--logger',
      'zap',
      '--log-level',
      'error',
    ];
    if (this.#limits) args.push('--max-txn-ops', String(this.#limits.maxTxnOps), '--max-request-bytes', String(this.#limits.maxRequestBytes));
    if (this.#tls) {
      const f = (name: string): string => path.join(this.dataDir, name);
      args.push('--cert-file', f('server.crt'), '--key-file', f('server.key'), '--trusted-ca-file', f('ca.crt'), '--client-cert-auth');
    }
    this.#log = '';
    // etcd reads ETCD_* variables as flags: pass none of ours.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
    const child = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (this.#log.length < LOG_KEEP_CHARS) this.#log += chunk;
    });
    this.#child = child;
    if (this.#killOnExit) process.on('exit', this.#killAtExit);
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
    while (!(await this.#healthy())) {
      if (!this.#child) throw new Error(`etcd exited during start-up at ${this.endpoint}:\n${this.#log.slice(-2_000)}`);
      if (Date.now() > deadline) throw new Error(`etcd not healthy within ${HEALTHY_TIMEOUT_MS} ms at ${this.endpoint}:\n${this.#log.slice(-2_000)}`);
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
  }

  /** Stop the process (SIGTERM, then SIGKILL), keeping its data. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.#child = undefined;
    process.off('exit', this.#killAtExit);
  }

  /** Kill the process at once (no graceful shutdown), keeping its data. */
  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  /** Stop and restart on the same data and ports. */
  async restart(): Promise<void> {
    await this.stop();
    await this.resume();
  }

  /** Run `etcdctl` against this etcd; returns stdout, throws with stderr on failure. */
  etcdctl(...args: string[]): string {
    const tlsArgs = this.#tls ? ['--cacert', path.join(this.dataDir, 'ca.crt'), '--cert', path.join(this.dataDir, 'client.crt'), '--key', path.join(this.dataDir, 'client.key')] : [];
    const res = spawnSync('/usr/bin/etcdctl', ['--endpoints', this.endpoint, ...tlsArgs, ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
    if (res.status !== 0) throw new Error(`etcdctl ${args.join(' ')} failed (${res.status}): ${res.stderr}`);
    return res.stdout;
  }

  /** Stop the process and remove the data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  async #healthy(): Promise<boolean> {
    if (this.#tls) return this.#healthyTls(this.#tls);
    try {
      const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = (await res.json()) as { health?: unknown };
      return res.ok && (body.health === 'true' || body.health === true);
    } catch {
      return false;
    }
  }

  #healthyTls(tls: EtcdTls): Promise<boolean> {
    return new Promise((resolve) => {
      const req = https.get(`${this.endpoint}/health`, { ca: tls.ca, cert: tls.client.cert, key: tls.client.key, timeout: 1_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
        res.on('error', () => resolve(false));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
  }
}

/** A running etcd for the bench. */
export interface BenchEtcd {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly pid: number;
  /** Kill it and remove its data directory. */
  stop(): Promise<void>;
}

/** Start etcd with its data under `workDir` and limits raised past a large mesh; killed if the bench exits. */
export async function startBenchEtcd(workDir: string): Promise<BenchEtcd> {
  const etcd = await EtcdProcess.start({ parentDir: workDir, killOnExit: true });
  return {
    endpoint: etcd.endpoint,
    pid: etcd.pid as number,
    stop: async () => {
      await etcd.kill();
      fs.rmSync(etcd.dataDir, { recursive: true, force: true });
    },
  };
}

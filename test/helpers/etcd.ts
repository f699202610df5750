/**
 * @module test/helpers/etcd
 * A real etcd (Debian's `etcd-server`, /usr/bin/etcd) for tests: one member
 * on free loopback ports with a throwaway data directory, limits raised so
 * one transaction can carry a whole configuration, stopped and cleaned up
 * afterwards. `stop()` / `start()` keep the data directory and ports, so a
 * test can take etcd away and bring the same cluster back. Transaction
 * limits are etcd flags: raised by default, or etcd's own defaults (128
 * operations, 1.5 MiB) for a test of what happens at those limits.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Etcd3, IRequestOp } from 'etcd3';

/** Where Debian's etcd-server installs the binary; ETCD_BIN overrides. */
const ETCD_BIN = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';
const HEALTHY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** A free loopback TCP port (bound and released; etcd binds it right after). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** PEM material for an etcd that serves its clients over TLS and requires client certificates. */
export interface TestEtcdTls {
  /** CA that signed `server` and the client certificates etcd accepts. */
  readonly ca: Buffer;
  /** etcd's certificate (SAN 127.0.0.1) and key. */
  readonly server: { readonly cert: Buffer; readonly key: Buffer };
  /** A client certificate the helper itself uses (health checks, etcdctl). */
  readonly client: { readonly cert: Buffer; readonly key: Buffer };
}

/** etcd's `--max-txn-ops` and `--max-request-bytes`. */
export interface EtcdLimits {
  readonly maxTxnOps: number;
  readonly maxRequestBytes: number;
}

/** Enough for one transaction to carry a whole `apply` of a large config. */
const RAISED_LIMITS: EtcdLimits = { maxTxnOps: 10_000, maxRequestBytes: 33_554_432 };

/** How to start a test etcd. */
export interface TestEtcdOptions {
  readonly tls?: TestEtcdTls;
  /** Transaction limits; `'etcd-defaults'` passes no flag (128 operations, 1.5 MiB). Default: raised. */
  readonly limits?: EtcdLimits | 'etcd-defaults';
}

/** A running (or stopped) single-member etcd. */
export class TestEtcd {
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly #tls: TestEtcdTls | undefined;
  readonly #limits: EtcdLimits | undefined;
  #child: ChildProcess | undefined;
  #log = '';

  private constructor(clientPort: number, peerPort: number, dataDir: string, options: TestEtcdOptions) {
    const tls = options.tls;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.dataDir = dataDir;
    this.#tls = tls;
    this.#limits = options.limits === 'etcd-defaults' ? undefined : (options.limits ?? RAISED_LIMITS);
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
  static async start(options: TestEtcdOptions = {}): Promise<TestEtcd> {
    if (!fs.existsSync(ETCD_BIN)) {
      throw new Error(`etcd not found at ${ETCD_BIN}: install Debian's etcd-server (apt-get install etcd-server), or set ETCD_BIN`);
    }
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-xds-etcd-'));
    const etcd = new TestEtcd(await freePort(), await freePort(), dataDir, options);
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
      'test',
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
      `test=${peer}`,
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
      if (this.#log.length < 64 * 1024) this.#log += chunk;
    });
    this.#child = child;
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
    while (!(await this.#healthy())) {
      if (!this.#child) throw new Error(`etcd exited during start-up:\n${this.#log}`);
      if (Date.now() > deadline) throw new Error(`etcd not healthy within ${HEALTHY_TIMEOUT_MS} ms:\n${this.#log}`);
      await new Promise((r) => setTimeout(r, 50));
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
      const body = (await res.json()) as { health?: string };
      return res.ok && body.health === 'true';
    } catch {
      return false;
    }
  }

  #healthyTls(tls: TestEtcdTls): Promise<boolean> {
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

/** Keys to write and delete in one etcd transaction (one revision). */
export interface EtcdWrite {
  readonly put?: Readonly<Record<string, string>>;
  readonly del?: readonly string[];
}

/** Write `change` as one transaction; resolves to its revision. */
export async function etcdTxn(client: Etcd3, change: EtcdWrite): Promise<number> {
  const success: IRequestOp[] = [];
  for (const [key, value] of Object.entries(change.put ?? {})) success.push({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } });
  for (const key of change.del ?? []) success.push({ request_delete_range: { key: Buffer.from(key) } });
  const res = await client.kv.txn({ compare: [], success, failure: [] });
  return Number(res.header.revision);
}

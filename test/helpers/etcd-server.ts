/**
 * @module test/helpers/etcd-server
 * A real etcd (`/usr/bin/etcd`, Debian's etcd-server) for one test file: free
 * loopback ports, a data directory under mkdtemp, started and reported ready
 * once its /health answers, killed and its directory removed on stop.
 * Transaction limits are flags, so a test can start etcd with its defaults
 * (128 operations, 1.5 MiB) or with the raised limits a large apply needs.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where Debian's etcd-server installs the binary; ETCD_BIN overrides. */
export const ETCD_BIN = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';

const READY_TIMEOUT_MS = 20_000;
const HEALTH_POLL_MS = 100;
const STOP_TIMEOUT_MS = 5_000;

/** Limits a test may raise (etcd's own flags). */
export interface EtcdOptions {
  /** `--max-txn-ops` (etcd's default 128). */
  readonly maxTxnOps?: number;
  /** `--max-request-bytes` (etcd's default 1.5 MiB). */
  readonly maxRequestBytes?: number;
}

/** A running etcd. */
export interface EtcdServer {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** Kill it and remove its data directory. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
    const body = (await res.json()) as { health?: unknown };
    return res.ok && (body.health === 'true' || body.health === true);
  } catch {
    return false;
  }
}

/** Start etcd; resolves once it answers /health. */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdServer> {
  if (!fs.existsSync(ETCD_BIN)) throw new Error(`${ETCD_BIN} not found: install Debian's etcd-server (apt-get install etcd-server) or set ETCD_BIN`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'default',
    '--data-dir', dataDir,
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `default=${peer}`,
    '--log-level', 'error',
  ];
  if (options.maxTxnOps !== undefined) args.push('--max-txn-ops', String(options.maxTxnOps));
  if (options.maxRequestBytes !== undefined) args.push('--max-request-bytes', String(options.maxRequestBytes));
  const child: ChildProcess = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 20_000) stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let dead = false;
  void exited.then(() => (dead = true));

  const stop = async (): Promise<void> => {
    if (!dead) {
      child.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await healthy(endpoint))) {
    if (dead || Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not become healthy at ${endpoint}${dead ? ' (it exited)' : ''}: ${stderr.slice(-2_000)}`);
    }
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
  return { endpoint, stop };
}

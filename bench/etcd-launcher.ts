/**
 * @module bench/etcd-launcher
 * A real etcd for `--source etcd` (Debian's etcd-server binary, ETCD_BIN
 * overrides): loopback ports, a data directory under the bench's work
 * directory, ready once /health answers, killed when the run ends. The
 * bench writes a whole mesh in one guarded transaction (src/apply), so etcd
 * starts with transaction limits raised well past a 1000-cluster mesh; the
 * writer is told the same limits.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from './server-process';

const ETCD_BIN = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';
/** `--max-txn-ops`: one operation per key, and a 1000-cluster mesh is over 2000 keys. */
export const BENCH_ETCD_MAX_TXN_OPS = 1_000_000;
/** `--max-request-bytes`: the whole mesh's JSON in one transaction. */
export const BENCH_ETCD_MAX_REQUEST_BYTES = 256 * 1024 * 1024;
const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 100;
const STOP_TIMEOUT_MS = 5_000;

/** A running etcd. */
export interface BenchEtcd {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly pid: number;
  /** Kill it and remove its data directory. */
  stop(): Promise<void>;
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

/** Start etcd with its data under `workDir`; resolves once it answers /health. */
export async function startBenchEtcd(workDir: string): Promise<BenchEtcd> {
  if (!fs.existsSync(ETCD_BIN)) throw new Error(`--source etcd needs ${ETCD_BIN}: install Debian's etcd-server (apt-get install etcd-server) or set ETCD_BIN`);
  const dataDir = fs.mkdtempSync(path.join(workDir, 'etcd-'));
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const child = spawn(
    ETCD_BIN,
    [
      '--name',
      'bench',
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `bench=${peer}`,
      '--max-txn-ops',
      String(BENCH_ETCD_MAX_TXN_OPS),
      '--max-request-bytes',
      String(BENCH_ETCD_MAX_REQUEST_BYTES),
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 10_000) stderr += chunk;
  });
  let dead = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => (dead = true));
  // The bench exits with process.exit on Ctrl-C: never leave etcd behind.
  const kill = (): void => void child.kill('SIGKILL');
  process.on('exit', kill);
  const stop = async (): Promise<void> => {
    process.off('exit', kill);
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
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { endpoint, pid: child.pid as number, stop };
}

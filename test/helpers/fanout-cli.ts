/**
 * @module test/helpers/fanout-cli
 * The `fanout-xds` command (build/src/cli/index.js, the package's `bin`) as
 * a child process that runs to completion: its exit code, stdout and
 * stderr. Plus a real etcd3 client for looking at what it wrote.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Etcd3, Range } from 'etcd3';

/** The built CLI entry (what `npx fanout-xds` runs). */
export const CLI_ENTRY = path.join(__dirname, '..', '..', 'src', 'cli', 'index.js');

const RUN_TIMEOUT_MS = 60_000;

/** How a command ended. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `fanout-xds ...args` to completion. */
export async function runFanout(args: readonly string[], options: { cwd?: string } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Everything under `prefix`: key → value, and etcd's current revision. */
export async function etcdDump(client: Etcd3, prefix: string): Promise<{ revision: number; kvs: Map<string, string>; modRevisions: Map<string, number> }> {
  const range = Range.prefix(prefix);
  const res = await client.kv.range({ key: range.start, range_end: range.end });
  const kvs = new Map<string, string>();
  const modRevisions = new Map<string, number>();
  for (const kv of res.kvs) {
    kvs.set(kv.key.toString(), kv.value.toString());
    modRevisions.set(kv.key.toString(), Number(kv.mod_revision));
  }
  return { revision: Number(res.header.revision), kvs, modRevisions };
}

/**
 * @module test/fault/main-run
 * Run the server's own entry (`node build/src/main.js`, what `npm start`
 * runs) to completion: for start-up failures and one-shot flags, where the
 * process must exit by itself.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const RUN_TIMEOUT_MS = 60_000;

/** Run main.js with `args`; resolves with its exit code and output once it exits. */
export async function runMain(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = path.join(__dirname, '..', '..', 'src', 'main.js');
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * @module test/helpers/run-bench
 * `node build/bench/run.js` as the bench smoke tests run it: the real bench,
 * start to finish, in a child process (spawnSync: the bench itself starts the
 * servers and loadgen). Each run gets a fresh temp dir for `--out` and
 * `--quiet`; the helper asserts the exit status 0 (with the bench's output
 * in the message), reads back the one JSON result it wrote, hands both to
 * the test, and removes the dir whatever happened.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RUN_JS = path.join(__dirname, '..', '..', 'bench', 'run.js');

/**
 * Bench flags by name without the dashes: a value gives `--name=value`,
 * `true` gives `--name`, a list repeats the flag once per item
 * (`threshold`, `server-arg`).
 */
export type BenchFlags = Readonly<Record<string, string | number | true | readonly string[]>>;

/** What one finished bench run left behind. */
export interface BenchRun<Result> {
  readonly stdout: string;
  readonly stderr: string;
  /** The `--out` dir (removed after the test's check). */
  readonly dir: string;
  /** Names of the files written in `dir`. */
  readonly files: readonly string[];
  /** Name of the JSON result in `dir`. */
  readonly jsonFile: string;
  /** The JSON result, parsed. */
  readonly result: Result;
  /** Text of the file in `dir` named `name`, or of the first whose name ends with it (`.html`). */
  read(name: string): string;
}

/** The command line for `flags`, in the order given. */
function toArgs(flags: BenchFlags): string[] {
  return Object.entries(flags).flatMap(([name, value]) => {
    if (value === true) return [`--${name}`];
    if (Array.isArray(value)) return (value as readonly string[]).map((v) => `--${name}=${v}`);
    return [`--${name}=${String(value)}`];
  });
}

/** Make a temp dir named after `prefix`, run `fn` in it, and remove it afterwards. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Run the bench with `flags` (plus `--out` and `--quiet`), killing it after
 * `timeoutMs`; assert it exited 0 and wrote a JSON result; then `check` what
 * it printed and wrote. `Result` is the JSON's type (BenchResult, SweepResult).
 */
export async function runBench<Result>(flags: BenchFlags, opts: { tmpPrefix: string; timeoutMs: number }, check: (run: BenchRun<Result>) => void): Promise<void> {
  await withTempDir(opts.tmpPrefix, (dir) => {
    const child = spawnSync(process.execPath, [RUN_JS, ...toArgs(flags), `--out=${dir}`, '--quiet'], { encoding: 'utf8', timeout: opts.timeoutMs });
    assert.equal(child.status, 0, `bench exited ${child.status}${child.signal ? ` (${child.signal}, timeout ${opts.timeoutMs} ms?)` : ''}:\n${child.stdout}\n${child.stderr}`);
    const files = fs.readdirSync(dir);
    const jsonFile = files.find((f) => f.endsWith('.json'));
    assert.ok(jsonFile, `a JSON result in --out (found: ${files.join(', ') || 'nothing'})`);
    const read = (name: string): string => {
      const file = files.includes(name) ? name : files.find((f) => f.endsWith(name));
      assert.ok(file, `a file named ${name} in --out (found: ${files.join(', ')})`);
      return fs.readFileSync(path.join(dir, file), 'utf8');
    };
    check({ stdout: child.stdout, stderr: child.stderr, dir, files, jsonFile, result: JSON.parse(read(jsonFile)) as Result, read });
  });
}

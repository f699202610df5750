/**
 * @module bench/provenance
 * What a saved result needs to be judged later: the commit it measured
 * (with a note when the tree had uncommitted changes), the command line that
 * reproduces it, and the machine and its load when it started.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

/** The provenance fields of BenchSetup. */
interface Provenance {
  readonly gitCommit: string;
  readonly commandLine: string;
  readonly hostname: string;
  readonly loadAverage: number;
}

function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Quote an argument for a POSIX shell only when it needs it. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The reproducing command for `argv` (the arguments after the script). */
function commandLineOf(argv: readonly string[]): string {
  return ['npm run bench --', ...argv.map(shellWord)].join(' ');
}

/** Provenance of this run. */
export function provenance(argv: readonly string[]): Provenance {
  const commit = git(['rev-parse', 'HEAD']);
  const dirty = commit !== undefined && (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  return {
    gitCommit: commit === undefined ? 'unknown (not a git checkout)' : `${commit}${dirty ? ' (with uncommitted changes)' : ''}`,
    commandLine: commandLineOf(argv),
    hostname: os.hostname(),
    loadAverage: Math.round((os.loadavg()[0] ?? NaN) * 100) / 100,
  };
}

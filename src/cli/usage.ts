/**
 * @module cli/usage
 * What every command shares at its edges: exit codes, the usage error,
 * `--version`, and how a failure is reported (one line; a usage error adds
 * a pointer to the command's `--help` rather than the whole help, which
 * would bury the line that matters). New commands throw UsageError for a
 * bad command line and let `reportCommandError` pick the exit code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Exit code for a bad command line (unknown flag, missing argument, bad value), for every command. */
export const EXIT_USAGE = 2;
/** Exit code for a failure (invalid config, etcd trouble, a conflict, a port in use). */
export const EXIT_FAILURE = 1;

/** A bad command line: reported as one line plus a pointer to `--help`, exit 2. */
export class UsageError extends Error {
  /** The command's help; kept for callers that show it, not printed on error. */
  readonly help: string | undefined;

  constructor(message: string, help?: string) {
    super(message);
    this.name = 'UsageError';
    this.help = help;
  }
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** Whether `err` is a bad command line: a UsageError or a node:util parseArgs error. */
export function isUsageError(err: unknown): boolean {
  return err instanceof UsageError || isParseArgsError(err);
}

/** The package version, read from package.json above this file (src/ or build/src/). */
export function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fanout-xds' && typeof pkg.version === 'string') return pkg.version;
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

/** What `--version` prints. */
export function versionText(): string {
  return `fanout-xds ${packageVersion()} (node ${process.version})\n`;
}

/** Whether `args` ask for the version (before any `--`, which ends the flags). */
export function wantsVersion(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--version') return true;
  }
  return false;
}

/**
 * Report a command's failure on stderr and return its exit code: a usage
 * error is one line plus `Run <command> --help`, exit 2; anything else is
 * its message, exit 1. `command` is how the user ran it (`fanout-xds apply`).
 */
export function reportCommandError(command: string, err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  const message = err instanceof Error ? err.message : String(err);
  if (isUsageError(err)) {
    stderr.write(`${command}: ${message}\nRun ${command} --help for its options.\n`);
    return EXIT_USAGE;
  }
  stderr.write(`${command}: ${message}\n`);
  return EXIT_FAILURE;
}

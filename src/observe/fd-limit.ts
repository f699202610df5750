/**
 * @module observe/fd-limit
 * The process's open-file limit (RLIMIT_NOFILE): every client connection is
 * a descriptor, and so is every config file read, admin request and worker
 * pipe. Many systems start processes with a soft limit of 1024 under a much
 * higher hard limit. Node itself raises the soft limit towards the hard one
 * when it starts (node.cc, PlatformInit), so usually there is nothing left to
 * do; where the soft limit is still lower, we raise it with util-linux
 * `prlimit` (Node has no setrlimit), best effort: without /proc or prlimit
 * the limit stays as it is and start goes on. The limit is logged at start,
 * and the connection cap's default follows it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/** Soft and hard limit on open files; `Infinity` for "unlimited". */
export interface FdLimit {
  readonly soft: number;
  readonly hard: number;
}

/** What raising the limit did. */
export interface FdLimitRaise {
  readonly before: FdLimit | undefined;
  readonly after: FdLimit | undefined;
  /** Why the soft limit was not raised, when it was below the hard one and stayed there. */
  readonly error?: string;
}

const PRLIMIT_TIMEOUT_MS = 2_000;

function parseLimit(text: string): number {
  return text === 'unlimited' ? Infinity : Number(text);
}

/** The current limit, or undefined where /proc/self/limits does not exist (not Linux). */
export function readFdLimit(): FdLimit | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  const soft = parseLimit(m[1] ?? '');
  const hard = parseLimit(m[2] ?? '');
  return Number.isNaN(soft) || Number.isNaN(hard) ? undefined : { soft, hard };
}

/** Raise the soft open-file limit to the hard limit, if allowed; never throws. */
export function raiseFdLimit(): FdLimitRaise {
  const before = readFdLimit();
  if (!before) return { before, after: before, error: 'the open-file limit cannot be read here (/proc/self/limits)' };
  if (before.soft >= before.hard || !Number.isFinite(before.hard)) return { before, after: before };
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${before.hard}:${before.hard}`], { timeout: PRLIMIT_TIMEOUT_MS, stdio: 'ignore' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'prlimit (util-linux) is not installed' : `prlimit failed: ${(err as Error).message}`;
    return { before, after: readFdLimit(), error: reason };
  }
  return { before, after: readFdLimit() };
}

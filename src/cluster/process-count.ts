/**
 * @module cluster/process-count
 * The `--processes` flag: how many serving processes, and the command line
 * each of them gets from the primary.
 */
import * as os from 'node:os';

/** `--processes N|auto` as a count (auto: one per core the process may use); 1 when unset. */
export function parseProcessCount(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return os.availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--processes must be a whole number of at least 1, or auto; got "${value}"`);
  return n;
}

/**
 * The serving processes' arguments: the primary's own without `--processes`
 * (a serving process never forks), and with `--workers encodeWorkers` when
 * the operator gave no --workers, so N processes do not each start a
 * machine's worth of encode threads.
 */
export function servingProcessArgs(args: readonly string[], encodeWorkers: number): string[] {
  const out: string[] = [];
  let hasWorkers = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (arg === '--processes') {
      i++;
      continue;
    }
    if (arg.startsWith('--processes=')) continue;
    if (arg === '--workers' || arg.startsWith('--workers=')) hasWorkers = true;
    out.push(arg);
  }
  return hasWorkers ? out : [...out, '--workers', String(encodeWorkers)];
}

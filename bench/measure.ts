/**
 * @module bench/measure
 * Server-side cost, read from outside the server so any process can be
 * measured: CPU seconds (utime + stime from /proc/<pid>/stat) and resident
 * memory (VmRSS, and the kernel's own peak VmHWM, from /proc/<pid>/status),
 * sampled every {@link SAMPLE_INTERVAL_MS}. A process with child processes
 * (the server's `--processes N` primary and its serving processes) counts
 * them all. Linux only; elsewhere the figures are NaN and the report says so.
 */
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** How often the sampler reads /proc, in ms. */
export const SAMPLE_INTERVAL_MS = 100;

let clockTicksPerSecond: number | undefined;
function clockTicks(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/** One reading of a process. */
export interface ProcessSample {
  /** Epoch ms. */
  readonly at: number;
  /** User + system CPU seconds since the process started. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  /** Peak RSS so far (VmHWM). */
  readonly peakRssBytes: number;
}

/** The child processes of `pid` and theirs, from /proc/<pid>/task/<tid>/children. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const child of children === '' ? [] : children.split(' ').map(Number)) out.push(child, ...descendants(child));
    }
  } catch {
    /* gone meanwhile, or no /proc: count what was found */
  }
  return out;
}

/**
 * Read /proc for `pid` and its child processes (summed: CPU, RSS, and the
 * peaks, which makes the peak an upper bound when there are children);
 * undefined if the process is gone or /proc is missing.
 */
export function readProcess(pid: number): ProcessSample | undefined {
  const own = readOneProcess(pid);
  if (!own) return undefined;
  let { cpuSeconds, rssBytes, peakRssBytes } = own;
  for (const child of descendants(pid)) {
    const c = readOneProcess(child);
    if (!c) continue;
    cpuSeconds += c.cpuSeconds;
    rssBytes += c.rssBytes;
    peakRssBytes += c.peakRssBytes;
  }
  return { at: own.at, cpuSeconds, rssBytes, peakRssBytes };
}

function readOneProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : NaN;
    };
    const rssBytes = kb('VmRSS');
    // A zombie (exited, not yet reaped) has no memory lines: no sample.
    if (Number.isNaN(rssBytes)) return undefined;
    return { at: Date.now(), cpuSeconds: (utime + stime) / clockTicks(), rssBytes, peakRssBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/**
 * Samples a process, or a set of replicas as one server, in the background
 * and answers questions about intervals. For a set, CPU is the sum over
 * every process (one that exited counts with its last reading: its work was
 * done) and RSS the sum over the live ones.
 */
export class ProcessSampler {
  readonly pids: readonly number[];
  readonly samples: ProcessSample[] = [];
  readonly #lastCpu: Map<number, number> = new Map();
  readonly #timer: NodeJS.Timeout;

  constructor(pids: number | readonly number[]) {
    this.pids = typeof pids === 'number' ? [pids] : pids;
    this.sample();
    this.#timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Take a sample now (also done on a timer); undefined once every process is gone. */
  sample(): ProcessSample | undefined {
    let live = 0;
    let cpuSeconds = 0;
    let rssBytes = 0;
    let peakRssBytes = 0;
    for (const pid of this.pids) {
      const s = readProcess(pid);
      if (s) {
        live++;
        this.#lastCpu.set(pid, s.cpuSeconds);
        rssBytes += s.rssBytes;
        peakRssBytes += s.peakRssBytes;
      }
      cpuSeconds += this.#lastCpu.get(pid) ?? 0;
    }
    if (live === 0) return undefined;
    const sum: ProcessSample = { at: Date.now(), cpuSeconds, rssBytes, peakRssBytes };
    this.samples.push(sum);
    return sum;
  }

  /** The latest sample. */
  get last(): ProcessSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** Highest RSS seen in samples taken at or after `fromMs`. */
  peakRssSince(fromMs: number): number {
    let peak = NaN;
    for (const s of this.samples) if (s.at >= fromMs && Number.isFinite(s.rssBytes) && !(s.rssBytes <= peak)) peak = s.rssBytes;
    return peak;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * CPU seconds and RSS of the loadgen: this process (its worker threads
 * included) and the fleet's child processes `fleetPids` (this process's
 * own pid among them is skipped), but not the
 * servers, floor or etcd this process started (they are children too).
 */
export function selfSample(fleetPids: readonly number[] = []): ProcessSample {
  const own = readOneProcess(process.pid);
  if (own) {
    let { cpuSeconds, rssBytes, peakRssBytes } = own;
    for (const pid of fleetPids) {
      if (pid === process.pid) continue;
      const c = readOneProcess(pid);
      if (!c) continue;
      cpuSeconds += c.cpuSeconds;
      rssBytes += c.rssBytes;
      peakRssBytes += c.peakRssBytes;
    }
    return { at: own.at, cpuSeconds, rssBytes, peakRssBytes };
  }
  const cpu = process.cpuUsage();
  const rss = process.memoryUsage().rss;
  return { at: Date.now(), cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: rss, peakRssBytes: NaN };
}

/**
 * The loadgen's cost over a run, sampled in the background: this process
 * plus the fleet's child processes, whose CPU is kept at its last reading
 * once they exit (the fleet's stop ends them before the run's final
 * sample). Peaks are the total's and each process's own.
 */
export class LoadgenSampler {
  readonly #fleetPids: readonly number[];
  readonly #lastCpu = new Map<number, number>();
  readonly #peakByPid = new Map<number, number>();
  readonly #timer: NodeJS.Timeout;
  #peakRssBytes = NaN;

  constructor(fleetPids: readonly number[], intervalMs: number) {
    this.#fleetPids = fleetPids.filter((pid) => pid !== process.pid);
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  /** Take a sample now: CPU seconds (exited children at their last reading) and RSS of the live ones. */
  sample(): ProcessSample {
    const own = selfSample();
    let { cpuSeconds, rssBytes } = own;
    this.#peakByPid.set(process.pid, Math.max(this.#peakByPid.get(process.pid) ?? 0, own.rssBytes));
    for (const pid of this.#fleetPids) {
      const c = readOneProcess(pid);
      if (c) {
        this.#lastCpu.set(pid, c.cpuSeconds);
        this.#peakByPid.set(pid, Math.max(this.#peakByPid.get(pid) ?? 0, c.rssBytes));
        rssBytes += c.rssBytes;
      }
      cpuSeconds += this.#lastCpu.get(pid) ?? 0;
    }
    if (!(rssBytes <= this.#peakRssBytes)) this.#peakRssBytes = rssBytes;
    return { at: own.at, cpuSeconds, rssBytes, peakRssBytes: this.#peakRssBytes };
  }

  /** Highest total RSS seen. */
  get peakRssBytes(): number {
    return this.#peakRssBytes;
  }

  /** Highest RSS seen of one process (this one or a fleet child), NaN if never read. */
  peakRssOf(pid: number): number {
    return this.#peakByPid.get(pid) ?? NaN;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

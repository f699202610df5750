/**
 * @module bench/timeline
 * The whole run of one variant over time, for the report's time-series
 * charts: nodes connected and in sync (from the fleet), server CPU and RSS
 * (from the /proc sampler, read every 100 ms), the server's event-loop delay
 * (its own /metrics) and the loadgen's CPU. Sampled every
 * {@link TIMELINE_INTERVAL_MS}, thinned to at most {@link MAX_POINTS} points
 * when the run ends so long runs stay a small JSON.
 */
import type { FleetSnapshot } from '../loadgen/index';
import { selfSample } from './measure';
import type { ProcessSample } from './measure';

/** Time series of one variant run; every array has one entry per time in `atMs`. */
export interface Timeline {
  /** ms since the fleet started. */
  readonly atMs: number[];
  readonly connected: number[];
  readonly inSync: number[];
  /** Server CPU over the last interval, % of one core (NaN when not measurable). */
  readonly serverCpuPercent: number[];
  readonly serverRssBytes: number[];
  /** The server's event-loop delay p99 over its last metrics interval, ms (NaN when not measurable). */
  readonly serverLoopDelayMs: number[];
  /** The loadgen (this process, all threads, and the fleet's child processes), % of one core. */
  readonly loadgenCpuPercent: number[];
}

/** How often the timeline samples, in ms. */
export const TIMELINE_INTERVAL_MS = 250;
/** Points kept per series. */
const MAX_POINTS = 1200;

/** What the sampler reads on each tick. */
export interface TimelineSources {
  readonly startMs: number;
  fleet(): FleetSnapshot;
  /** The server's latest /proc sample (the sampler may be replaced after a restart). */
  server(): ProcessSample | undefined;
  /** The server's latest event-loop delay p99 in ms, NaN if unknown. */
  loopDelayMs(): number;
}

/** Samples {@link TimelineSources} until stopped. */
export class TimelineSampler {
  readonly #src: TimelineSources;
  readonly #t: Timeline = { atMs: [], connected: [], inSync: [], serverCpuPercent: [], serverRssBytes: [], serverLoopDelayMs: [], loadgenCpuPercent: [] };
  readonly #timer: NodeJS.Timeout;
  #lastServer: ProcessSample | undefined;
  #lastSelf: { at: number; cpuSeconds: number };

  constructor(src: TimelineSources) {
    this.#src = src;
    const self = selfSample(src.fleet().processes.map((p) => p.pid));
    this.#lastSelf = { at: Date.now(), cpuSeconds: self.cpuSeconds };
    this.#lastServer = src.server();
    this.#timer = setInterval(() => this.#sample(), TIMELINE_INTERVAL_MS);
    this.#timer.unref();
  }

  #sample(): void {
    const now = Date.now();
    const n = this.#src.fleet().nodes;
    const server = this.#src.server();
    const prev = this.#lastServer;
    // A restarted server has its own CPU clock: no rate across the two processes.
    const serverCpu = server && prev && server.at > prev.at && server.cpuSeconds >= prev.cpuSeconds ? ((server.cpuSeconds - prev.cpuSeconds) / ((server.at - prev.at) / 1000)) * 100 : NaN;
    if (server && server !== prev) this.#lastServer = server;
    const self = selfSample(this.#src.fleet().processes.map((p) => p.pid));
    const selfCpu = ((self.cpuSeconds - this.#lastSelf.cpuSeconds) / Math.max(0.001, (now - this.#lastSelf.at) / 1000)) * 100;
    this.#lastSelf = { at: now, cpuSeconds: self.cpuSeconds };
    const t = this.#t;
    t.atMs.push(now - this.#src.startMs);
    t.connected.push(n.connected);
    t.inSync.push(n.inSync);
    t.serverCpuPercent.push(round(serverCpu, 1));
    t.serverRssBytes.push(server?.rssBytes ?? NaN);
    t.serverLoopDelayMs.push(round(this.#src.loopDelayMs(), 3));
    t.loadgenCpuPercent.push(round(selfCpu, 1));
  }

  /** Stop sampling; the series, thinned to at most {@link MAX_POINTS}. */
  stop(): Timeline {
    clearInterval(this.#timer);
    return thin(this.#t, MAX_POINTS);
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Number.isFinite(v) ? Math.round(v * f) / f : NaN;
}

/** Every k-th point so at most `max` remain (the last one always kept). */
export function thin(t: Timeline, max: number): Timeline {
  const n = t.atMs.length;
  if (n <= max) return t;
  const step = Math.ceil(n / max);
  const keep = (a: number[]): number[] => a.filter((_, i) => i % step === 0 || i === n - 1);
  return {
    atMs: keep(t.atMs),
    connected: keep(t.connected),
    inSync: keep(t.inSync),
    serverCpuPercent: keep(t.serverCpuPercent),
    serverRssBytes: keep(t.serverRssBytes),
    serverLoopDelayMs: keep(t.serverLoopDelayMs),
    loadgenCpuPercent: keep(t.loadgenCpuPercent),
  };
}

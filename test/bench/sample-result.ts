/**
 * @module test/bench/sample-result
 * A complete bench result built in memory (no bench run): every section
 * the report draws is filled from real histograms and a real convergence
 * tracker over generated receipt times, so report tests see what a run
 * writes.
 */
import { LatencyHistogram } from '../../loadgen/index';
import { ConvergenceTracker } from '../../loadgen/convergence';
import type { BenchResult, BenchSetup, RoundResult, VariantResult } from '../../bench/result';

const NODES = 100;
const ROUNDS = 3;

function histogram(base: number, spread: number, n: number, seed: number): LatencyHistogram {
  const h = new LatencyHistogram();
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const u = s / 2 ** 31;
    h.record((base + spread * -Math.log(1 - u * 0.999)) * 1000);
  }
  return h;
}

function round(i: number, scale: number): RoundResult {
  const latency = histogram(20 * scale, 10 * scale * (i + 1), NODES, 11 + i).summary();
  return {
    round: i + 1,
    change: `endpoint hostname of cluster-${i}`,
    commitSource: 'server-log',
    commitAtMs: 1_700_000_000_000 + i * 5_000,
    applyDelayMs: 210,
    latency,
    convergenceMs: latency.max,
    expected: NODES,
    received: NODES,
    nacked: 0,
    timedOut: 0,
    rxBytesPerNode: 300 * scale + i * 10,
    rxMessagesPerNode: 1,
    txBytesPerNode: 100,
    serverCpuSeconds: 0.1 * scale,
    loadgenCpuSeconds: 0.2,
  };
}

/** One variant's result; `scale` makes a slower or faster twin for comparisons. */
export function sampleVariant(variant: 'sotw' | 'delta', scale = 1): VariantResult {
  const rounds = Array.from({ length: ROUNDS }, (_, i) => round(i, scale));
  const all = new LatencyHistogram();
  for (let i = 0; i < ROUNDS; i++) all.add(histogram(20 * scale, 10 * scale * (i + 1), NODES, 11 + i));
  const convergence = new ConvergenceTracker();
  for (let i = 0; i < ROUNDS; i++) {
    const first = 1_700_000_000_000_000 + i * 5_000_000;
    convergence.record(
      `eds/cluster-${i}@${i + 2}`,
      Array.from({ length: NODES }, (_, n) => first + n * 300 * scale),
      0,
    );
  }
  const samples = 80;
  const atMs = Array.from({ length: samples }, (_, i) => i * 250);
  const ramp = (i: number): number => Math.min(NODES, Math.round((i / 20) * NODES));
  const summary = all.summary();
  return {
    variant,
    ok: true,
    initialSync: {
      firstFullConfig: histogram(500 * scale, 200, NODES, 3).summary(),
      allInSyncMs: 4_000 * scale,
      afterLastConnectMs: 900 * scale,
      synced: NODES,
      failed: 0,
      rxBytesPerNode: 14_000 * scale,
      rxMessagesPerNode: 4,
      txBytesPerNode: 800,
      serverCpuSeconds: 1.1 * scale,
    },
    rounds,
    latency: summary,
    latencyDistribution: all.distribution(),
    convergenceMs: { median: rounds[1]!.convergenceMs, max: Math.max(...rounds.map((r) => r.convergenceMs)) },
    rxBytesPerNodePerUpdate: 300 * scale,
    rxMessagesPerNodePerUpdate: 1,
    txBytesPerNodePerUpdate: 100,
    serverCpuSecondsPerRound: 0.1 * scale,
    totals: { rx: { cds: { bytes: 1000, messages: 10 } }, tx: { cds: { bytes: 500, messages: 10 } }, acks: 10, nacks: 0, streamsOpened: NODES, streamsEnded: 0, decodes: 4, streamEndReasons: {} },
    server: {
      idleRssBytes: 150e6,
      peakRssBytes: 170e6 * scale,
      syncPeakRssBytes: 165e6,
      rssPerNodeAtSyncBytes: 150_000,
      vmHwmBytes: 171e6,
      rssPerNodeBytes: 200_000,
      connectedRssBytes: 160e6,
      rssPerNodeConnectedBytes: 100_000 * scale,
      cpuSecondsTotal: 1.5 * scale,
    },
    loadgen: { peakRssBytes: 140e6, cpuSeconds: 3, workers: 2 },
    durationMs: 20_000,
    timeline: {
      atMs,
      connected: atMs.map((_, i) => ramp(i)),
      inSync: atMs.map((_, i) => ramp(Math.max(0, i - 4))),
      serverCpuPercent: atMs.map((_, i) => (i < 25 ? 80 * scale : 5 + (i % 7))),
      serverRssBytes: atMs.map((_, i) => 150e6 + Math.min(i, 25) * 0.8e6 * scale),
      serverLoopDelayMs: atMs.map((_, i) => (i % 4 === 0 ? 10 + (i % 9) : NaN)),
      loadgenCpuPercent: atMs.map((_, i) => 30 + (i % 5) * 4),
    },
    versionConvergence: convergence.summary(),
  };
}

/** A whole result with both variants and two thresholds (one met, one missed). */
export function sampleResult(scale = 1): BenchResult {
  const setup: BenchSetup = {
    startedAt: '2026-12-02T12:00:00.000Z',
    cores: 2,
    cpuModel: 'Test CPU',
    memoryBytes: 8 * 2 ** 30,
    node: 'v20.0.0',
    platform: 'linux test',
    versions: { 'fanout-xds': '0.1.0', '@grpc/grpc-js': '1.14.7' },
    nodes: NODES,
    mesh: { clusters: 50, endpoints: 2, listeners: 2, routes: 2, resources: 104, configBytes: 20_000 },
    scenario: 'updates',
    source: 'file',
    replicas: 1,
    churn: 'endpoint',
    rounds: ROUNDS,
    rate: 0,
    connectRate: 1000,
    ads: true,
    nackRate: 0,
    slowFraction: 0,
    server: 'ours (child process, --log-level info)',
    commitTime: 'when the server logged "configuration applied"',
    gitCommit: '0123456789abcdef0123456789abcdef01234567',
    commandLine: 'npm run bench -- --nodes 100',
    hostname: 'test-host',
    loadAverage: 0.5,
  };
  const variants = { sotw: sampleVariant('sotw', scale), delta: sampleVariant('delta', scale * 0.8) };
  return {
    setup,
    variants,
    thresholds: [
      { expression: 'delta.p99<100000', actual: variants.delta.latency.p99, pass: true },
      { expression: 'sotw.p99<1', actual: variants.sotw.latency.p99, pass: false },
    ],
  };
}

/**
 * `npm run bench` end to end at small scale: it starts our server as a
 * separate process, runs 200 nodes over SotW and delta through mixed churn
 * (an endpoint change, a new cluster, a listener pointing at a new route),
 * and writes a complete JSON and HTML report. No timing assertions.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BenchResult } from '../../bench/result';
import { runBench } from '../helpers/run-bench';

const NODES = 200;
const ROUNDS = 3;
const TIME_LIMIT_MS = 150_000;
const SMALL_MESH = { endpoints: 2, listeners: 2, routes: 2, 'round-timeout': 30, 'sync-timeout': 60 } as const;

describe('bench smoke', () => {
  it('runs a small bench on both variants and writes a complete report', { timeout: TIME_LIMIT_MS + 10_000 }, async () => {
    const flags = { nodes: NODES, rounds: ROUNDS, churn: 'mixed', clusters: 50, ...SMALL_MESH, 'settle-ms': 300, threshold: ['delta.failed==0', 'sotw.failed==0'] };
    await runBench<BenchResult>(flags, { tmpPrefix: 'bench-smoke-', timeoutMs: TIME_LIMIT_MS }, ({ stdout, files, result, read }) => {
      assert.match(stdout, /delta\/sotw/);
      assert.ok(
        files.some((f) => f.endsWith('.html')),
        'an HTML report',
      );
      assert.equal(result.setup.nodes, NODES);
      assert.ok(result.setup.cores >= 1 && result.setup.versions['@grpc/grpc-js']);
      for (const variant of ['sotw', 'delta'] as const) {
        const v = result.variants[variant];
        assert.ok(v, `${variant} ran`);
        assert.equal(v.ok, true, v.error);
        assert.equal(v.initialSync.synced, NODES);
        assert.ok(Number.isFinite(v.initialSync.allInSyncMs));
        assert.ok(v.initialSync.rxBytesPerNode > 0);
        assert.equal(v.rounds.length, ROUNDS);
        for (const r of v.rounds) {
          assert.equal(r.received, NODES, `${variant} round ${r.round} (${r.change}) reached every node`);
          assert.equal(r.latency.count, NODES);
          assert.ok(Number.isFinite(r.convergenceMs));
          assert.ok((r.rxBytesPerNode ?? 0) > 0);
          assert.equal(r.commitSource, 'server-log');
        }
        assert.equal(v.latency.count, NODES * ROUNDS);
        for (const figure of [
          v.latency.p50,
          v.latency.p99,
          v.latency.p999,
          v.latency.max,
          v.convergenceMs.max,
          v.rxBytesPerNodePerUpdate,
          v.server.cpuSecondsTotal,
          v.server.peakRssBytes,
          v.server.rssPerNodeBytes,
          v.loadgen.peakRssBytes,
        ]) {
          assert.ok(Number.isFinite(figure), `${variant}: every figure measured`);
        }
      }
      assert.deepEqual(
        result.thresholds.map((t) => t.pass),
        [true, true],
      );
      assert.match(read('.html'), /<svg[^>]*>.*<polyline/s);
    });
  });
});

describe('bench smoke, restart scenario', () => {
  it('kills and restarts the server after the rounds and reports what each reconnecting node was sent: nothing for SotW', { timeout: TIME_LIMIT_MS + 10_000 }, async () => {
    const nodes = 20;
    // --server-env reaches both servers of the scenario (the first and the restarted one); the report names it.
    const flags = {
      nodes,
      rounds: 1,
      churn: 'endpoint',
      scenario: 'restart',
      clusters: 20,
      ...SMALL_MESH,
      'settle-ms': 500,
      threshold: ['sotw.restartBytes<1024'],
      'server-env': ['FANOUT_BENCH_SMOKE=on'],
    };
    await runBench<BenchResult>(flags, { tmpPrefix: 'bench-smoke-', timeoutMs: TIME_LIMIT_MS }, ({ stdout, result }) => {
      assert.match(stdout, /restart: bytes received per node/);
      assert.equal(result.setup.scenario, 'restart');
      assert.match(result.setup.server, /; environment FANOUT_BENCH_SMOKE=on\)$/);
      for (const variant of ['sotw', 'delta'] as const) {
        const r = result.variants[variant]?.restart;
        assert.ok(r, `${variant} was restarted`);
        assert.equal(r.nodes, nodes);
        assert.ok(r.streamsReopened >= nodes, `${variant}: every stream came back`);
        assert.ok(Number.isFinite(r.downMs) && Number.isFinite(r.reconnectMs) && Number.isFinite(r.serverCpuSeconds));
        assert.equal(r.inSyncAfter, nodes);
      }
      assert.equal(result.variants.sotw?.restart?.rxBytesPerNode, 0, 'SotW nodes at the current versions are sent nothing');
    });
  });
});

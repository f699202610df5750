/**
 * `npm run bench -- --loadgen-processes 2` at small scale against our server
 * run with `--processes 2` (the "30,000 nodes on one machine" recipe in
 * docs/scaling.md, shrunk to 40 nodes and a tiny mesh): both loadgen
 * processes ran their half of the nodes, every node synced, every round
 * reached every node, and the merged figures are complete. No timing
 * assertions.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BenchResult } from '../../bench/result';
import { runBench } from '../helpers/run-bench';

const NODES = 40;
const ROUNDS = 2;
const TIME_LIMIT_MS = 150_000;

describe('bench smoke, loadgen over two processes', () => {
  it('spreads the nodes over two loadgen processes and merges what they saw', { timeout: TIME_LIMIT_MS + 10_000 }, async () => {
    const flags = {
      nodes: NODES,
      variants: 'delta',
      'loadgen-processes': 2,
      'server-arg': ['--processes=2'],
      rounds: ROUNDS,
      clusters: 10,
      endpoints: 2,
      listeners: 2,
      routes: 2,
      'settle-ms': 300,
      'round-timeout': 30,
      'sync-timeout': 60,
    };
    await runBench<BenchResult>(flags, { tmpPrefix: 'bench-lgprocs-', timeoutMs: TIME_LIMIT_MS }, ({ result }) => {
      const v = result.variants.delta;
      assert.ok(v, 'delta ran');
      assert.equal(v.ok, true, v.error);
      assert.equal(v.initialSync.synced, NODES);
      const processes = v.loadgen.processes ?? [];
      assert.equal(processes.length, 2, 'two loadgen processes');
      for (const p of processes) {
        assert.equal(p.nodes, NODES / 2, 'node i runs in process i mod 2');
        assert.equal(p.everSynced, NODES / 2, 'each process saw its nodes sync');
        assert.ok(Number.isFinite(p.peakRssBytes) && p.peakRssBytes > 0, 'each process measured');
      }
      assert.equal(v.rounds.length, ROUNDS);
      for (const r of v.rounds) assert.equal(r.received, NODES, `round ${r.round} reached every node`);
      assert.equal(v.latency.count, NODES * ROUNDS, 'receipts from both processes merged');
      assert.ok(Number.isFinite(v.loadgen.cpuSeconds) && v.loadgen.cpuSeconds > 0);
    });
  });
});

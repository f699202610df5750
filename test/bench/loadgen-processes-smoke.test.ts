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
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchResult } from '../../bench/result';

const RUN_JS = path.join(__dirname, '..', '..', 'bench', 'run.js');
const NODES = 40;
const ROUNDS = 2;
const TIME_LIMIT_MS = 150_000;

describe('bench smoke, loadgen over two processes', () => {
  it('spreads the nodes over two loadgen processes and merges what they saw', { timeout: TIME_LIMIT_MS + 10_000 }, () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lgprocs-'));
    try {
      const run = spawnSync(
        process.execPath,
        [
          RUN_JS,
          '--nodes',
          String(NODES),
          '--variants',
          'delta',
          '--loadgen-processes',
          '2',
          '--server-arg=--processes=2',
          '--rounds',
          String(ROUNDS),
          '--clusters',
          '10',
          '--endpoints',
          '2',
          '--listeners',
          '2',
          '--routes',
          '2',
          '--settle-ms',
          '300',
          '--round-timeout',
          '30',
          '--sync-timeout',
          '60',
          '--out',
          out,
          '--quiet',
        ],
        { encoding: 'utf8', timeout: TIME_LIMIT_MS },
      );
      assert.equal(run.status, 0, `bench exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
      const json = fs.readdirSync(out).find((f) => f.endsWith('.json'));
      assert.ok(json, 'a JSON result');
      const result = JSON.parse(fs.readFileSync(path.join(out, json), 'utf8')) as BenchResult;
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
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

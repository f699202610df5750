/**
 * `npm run bench` end to end at small scale: it starts our server as a
 * separate process, runs 200 nodes over SotW and delta through mixed churn
 * (an endpoint change, a new cluster, a listener pointing at a new route),
 * and writes a complete JSON and HTML report. No timing assertions.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchResult } from '../../bench/result';

const RUN_JS = path.join(__dirname, '..', '..', 'bench', 'run.js');
const NODES = 200;
const ROUNDS = 3;
const TIME_LIMIT_MS = 150_000;

describe('bench smoke', () => {
  it('runs a small bench on both variants and writes a complete report', { timeout: TIME_LIMIT_MS + 10_000 }, () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    try {
      const run = spawnSync(
        process.execPath,
        [
          RUN_JS,
          '--nodes',
          String(NODES),
          '--rounds',
          String(ROUNDS),
          '--churn',
          'mixed',
          '--clusters',
          '50',
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
          '--threshold',
          'delta.failed==0',
          '--threshold',
          'sotw.failed==0',
        ],
        { encoding: 'utf8', timeout: TIME_LIMIT_MS },
      );
      assert.equal(run.status, 0, `bench exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /delta\/sotw/);
      const files = fs.readdirSync(out);
      const json = files.find((f) => f.endsWith('.json'));
      assert.ok(json, 'a JSON result');
      assert.ok(
        files.some((f) => f.endsWith('.html')),
        'an HTML report',
      );
      const result = JSON.parse(fs.readFileSync(path.join(out, json), 'utf8')) as BenchResult;
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
      assert.match(
        fs.readFileSync(
          path.join(
            out,
            files.find((f) => f.endsWith('.html'))!,
          ),
          'utf8',
        ),
        /<svg[^>]*>.*<polyline/s,
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('bench smoke, restart scenario', () => {
  it('kills and restarts the server after the rounds and reports what each reconnecting node was sent: nothing for SotW', { timeout: TIME_LIMIT_MS + 10_000 }, () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    const nodes = 20;
    try {
      const run = spawnSync(
        process.execPath,
        [
          RUN_JS,
          '--nodes',
          String(nodes),
          '--rounds',
          '1',
          '--churn',
          'endpoint',
          '--scenario',
          'restart',
          '--clusters',
          '20',
          '--endpoints',
          '2',
          '--listeners',
          '2',
          '--routes',
          '2',
          '--settle-ms',
          '500',
          '--round-timeout',
          '30',
          '--sync-timeout',
          '60',
          '--out',
          out,
          '--quiet',
          '--threshold',
          'sotw.restartBytes<1024',
        ],
        { encoding: 'utf8', timeout: TIME_LIMIT_MS },
      );
      assert.equal(run.status, 0, `bench exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /restart: bytes received per node/);
      const json = fs.readdirSync(out).find((f) => f.endsWith('.json'));
      assert.ok(json, 'a JSON result');
      const result = JSON.parse(fs.readFileSync(path.join(out, json), 'utf8')) as BenchResult;
      assert.equal(result.setup.scenario, 'restart');
      for (const variant of ['sotw', 'delta'] as const) {
        const r = result.variants[variant]?.restart;
        assert.ok(r, `${variant} was restarted`);
        assert.equal(r.nodes, nodes);
        assert.ok(r.streamsReopened >= nodes, `${variant}: every stream came back`);
        assert.ok(Number.isFinite(r.downMs) && Number.isFinite(r.reconnectMs) && Number.isFinite(r.serverCpuSeconds));
        assert.equal(r.inSyncAfter, nodes);
      }
      assert.equal(result.variants.sotw?.restart?.rxBytesPerNode, 0, 'SotW nodes at the current versions are sent nothing');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

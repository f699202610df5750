/**
 * The bench keeps what a person needs to diagnose a run: each server child's
 * log in `--out` beside the JSON (named in the result), and the server's
 * counters of what it closed or refused on its own.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BenchResult } from '../../bench/result';
import { runBench } from '../helpers/run-bench';

const TIME_LIMIT_MS = 90_000;

describe('bench smoke, server log', () => {
  it('writes the server log to --out, starting with the server start line, and reads its close and refusal counters', { timeout: TIME_LIMIT_MS + 10_000 }, async () => {
    const flags = { nodes: 20, rounds: 1, variants: 'delta', clusters: 10, endpoints: 2, listeners: 2, routes: 2, 'settle-ms': 200, 'sync-timeout': 60, 'round-timeout': 30 };
    await runBench<BenchResult>(flags, { tmpPrefix: 'bench-server-log-', timeoutMs: TIME_LIMIT_MS }, ({ stdout, files, jsonFile, result, read }) => {
      const v = result.variants.delta;
      assert.ok(v, 'delta ran');
      assert.equal(v.ok, true, v.error);
      const logs = v.serverLogs ?? [];
      assert.equal(logs.length, 1, 'one log per server child');
      const log = logs[0] as string;
      assert.ok(files.includes(log), `${log} is in --out (found: ${files.join(', ')})`);
      assert.ok(log.startsWith(jsonFile.replace(/\.json$/, '')), `${log} shares the JSON result's name (${jsonFile})`);
      const lines = read(log)
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; pid: number });
      assert.ok(
        lines.some((l) => l.msg === 'xDS server listening'),
        'the server start line',
      );
      assert.ok(
        lines.some((l) => l.msg === 'ready'),
        'the ready line',
      );
      assert.ok(
        lines.some((l) => l.msg === 'stream opened'),
        'the per-stream lines at the default info level',
      );
      assert.ok(v.serverCounters, 'the counters were read from /metrics');
      assert.match(stdout, new RegExp(`server log: ${log.replace(/[.]/g, '\\.')}`));
    });
  });
});

/**
 * `npm run bench -- --with-floor` end to end at small scale: after each
 * variant the bench runs the floor server on the identical scenario, and
 * the table, JSON and HTML carry the floor's figures and ours / floor.
 * Also the `metric/floor` threshold form. No timing assertions.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchResult, VariantResult } from '../../bench/result';
import { checkThresholds, parseThreshold } from '../../bench/thresholds';

const RUN_JS = path.join(__dirname, '..', '..', 'bench', 'run.js');
const NODES = 50;
const TIME_LIMIT_MS = 90_000;

describe('bench --with-floor', () => {
  it('runs the floor after each variant on the same scenario and reports our figures as ratios to it', { timeout: TIME_LIMIT_MS + 10_000 }, () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'floor-smoke-'));
    try {
      const run = spawnSync(
        process.execPath,
        [
          RUN_JS,
          '--nodes',
          String(NODES),
          '--rounds',
          '1',
          '--churn',
          'endpoint',
          '--with-floor',
          '--clusters',
          '20',
          '--endpoints',
          '2',
          '--listeners',
          '2',
          '--routes',
          '2',
          '--settle-ms',
          '200',
          '--round-timeout',
          '20',
          '--sync-timeout',
          '30',
          '--out',
          out,
          '--quiet',
          '--threshold',
          'delta.failed==0',
          '--threshold',
          'sotw.bytesPerUpdate/floor<=1.1',
        ],
        { encoding: 'utf8', timeout: TIME_LIMIT_MS },
      );
      assert.equal(run.status, 0, `bench exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /sotw floor .*ours\/floor .*delta floor .*ours\/floor .*delta\/sotw/);
      assert.match(run.stdout, /sotw floor rounds/);
      const files = fs.readdirSync(out);
      const json = files.find((f) => f.endsWith('.json'));
      assert.ok(json, 'a JSON result');
      const result = JSON.parse(fs.readFileSync(path.join(out, json), 'utf8')) as BenchResult;
      assert.match(result.setup.floor ?? '', /bench\/floor/);
      for (const variant of ['sotw', 'delta'] as const) {
        const ours = result.variants[variant] as VariantResult;
        const floor = result.floor?.[variant];
        assert.ok(floor, `the floor ran for ${variant}`);
        assert.equal(floor.ok, true, floor.error);
        assert.equal(floor.initialSync.synced, NODES);
        assert.equal(floor.rounds.length, 1);
        assert.equal(floor.rounds[0]?.received, NODES);
        assert.equal(floor.rounds[0]?.commitSource, 'server-log', 'the floor logs "configuration applied"');
        assert.ok(Number.isFinite(floor.server.cpuSecondsTotal) && Number.isFinite(floor.server.peakRssBytes));
        // Same scenario, same encoded resources: the initial sync carries the same resources either way.
        assert.equal(floor.initialSync.rxMessagesPerNode, ours.initialSync.rxMessagesPerNode);
        const ratios = result.ratiosToFloor?.[variant];
        assert.ok(ratios, `ratios for ${variant}`);
        assert.ok(Number.isFinite(ratios['p99']) && Number.isFinite(ratios['cpuTotal']));
        assert.ok(Math.abs((ratios['syncBytes'] as number) - 1) < 0.05, `${variant}: the same bytes in the initial sync (${ratios['syncBytes']})`);
      }
      assert.deepEqual(
        result.thresholds.map((t) => t.pass),
        [true, true],
      );
      const html = fs.readFileSync(
        path.join(
          out,
          files.find((f) => f.endsWith('.html'))!,
        ),
        'utf8',
      );
      assert.match(html, /with the floor/);
      assert.match(html, /delta floor/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("checks a metric/floor threshold against our figure divided by the floor's, and fails it without a floor run", () => {
    const v = (p99: number): VariantResult => ({ latency: { p99 } }) as unknown as VariantResult;
    const t = parseThreshold('delta.p99/floor<=2');
    assert.equal(t.perFloor, true);
    const [met, missed] = checkThresholds({ variants: { delta: v(300) }, floor: { delta: v(200) } }, [t, parseThreshold('delta.p99/floor<1.2')]);
    assert.equal(met?.actual, 1.5);
    assert.deepEqual([met?.pass, missed?.pass], [true, false]);
    assert.equal(checkThresholds({ variants: { delta: v(300) } }, [t])[0]?.pass, false);
  });
});

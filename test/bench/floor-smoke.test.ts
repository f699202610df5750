/**
 * `npm run bench -- --with-floor` end to end at small scale: after each
 * variant the bench runs the floor server on the identical scenario, and
 * the table, JSON and HTML carry the floor's figures and ours / floor.
 * Also the `metric/floor` threshold form. No timing assertions.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BenchResult, VariantResult } from '../../bench/result';
import { checkThresholds, parseThreshold } from '../../bench/thresholds';
import { runBench } from '../helpers/run-bench';

const NODES = 50;
const TIME_LIMIT_MS = 90_000;

describe('bench --with-floor', () => {
  it('runs the floor after each variant on the same scenario and reports our figures as ratios to it', { timeout: TIME_LIMIT_MS + 10_000 }, async () => {
    const flags = {
      nodes: NODES,
      rounds: 1,
      churn: 'endpoint',
      'with-floor': true,
      clusters: 20,
      endpoints: 2,
      listeners: 2,
      routes: 2,
      'settle-ms': 200,
      'round-timeout': 20,
      'sync-timeout': 30,
      threshold: ['delta.failed==0', 'sotw.bytesPerUpdate/floor<=1.1'],
    } as const;
    await runBench<BenchResult>(flags, { tmpPrefix: 'floor-smoke-', timeoutMs: TIME_LIMIT_MS }, ({ stdout, result, read }) => {
      assert.match(stdout, /sotw floor .*ours\/floor .*delta floor .*ours\/floor .*delta\/sotw/);
      assert.match(stdout, /sotw floor rounds/);
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
      const html = read('.html');
      assert.match(html, /with the floor/);
      assert.match(html, /delta floor/);
    });
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

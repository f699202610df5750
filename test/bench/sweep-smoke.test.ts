/**
 * `npm run bench -- --nodes 20,40` end to end at small scale: the whole
 * bench runs once per fleet size (with the floor), each size's table is
 * printed, then the growth table; one JSON holds every size and the growth
 * points, and the HTML has the growth section. Also how `--nodes` lists are
 * read. No timing assertions.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { UsageError } from '../../loadgen/index';
import { parseBenchOptions } from '../../bench/options';
import type { SweepResult } from '../../bench/result';
import { runBench } from '../helpers/run-bench';

const SIZES = [20, 40] as const;
const TIME_LIMIT_MS = 150_000;

describe('bench --nodes N1,N2 (fleet-size sweep)', () => {
  it('runs the bench once per size with fresh servers, prints a growth table and saves every size in one JSON and HTML', { timeout: TIME_LIMIT_MS + 10_000 }, async () => {
    const flags = {
      nodes: `${SIZES[1]},${SIZES[0]}`,
      variants: 'delta',
      'with-floor': true,
      rounds: 1,
      clusters: 10,
      endpoints: 2,
      listeners: 2,
      routes: 2,
      'settle-ms': 200,
      'round-timeout': 30,
      'sync-timeout': 60,
      threshold: ['delta.failed==0'],
    } as const;
    await runBench<SweepResult>(flags, { tmpPrefix: 'sweep-smoke-', timeoutMs: TIME_LIMIT_MS }, ({ stdout, files, jsonFile, result: sweep, read }) => {
      assert.match(stdout, /=== 20 nodes \(fleet size 1 of 2\) ===/);
      assert.match(stdout, /=== 40 nodes \(fleet size 2 of 2\) ===/);
      const growth = stdout.slice(stdout.indexOf('growth with fleet size (20, 40 nodes'));
      assert.ok(growth.length > 0, `a growth table:\n${stdout}`);
      assert.match(growth, /nodes +run +CPU\/round +per node +update p99 +sync after last +sync CPU +RSS\/node/);
      for (const n of SIZES) {
        assert.match(growth, new RegExp(`^ +${n}  delta {10,}[0-9.]+ s +[0-9.]+ µs +[0-9.]+ ms +[0-9.]+ s +[0-9.]+ s +-?[0-9.]+ KiB$`, 'm'), `our line for ${n} nodes`);
        assert.match(growth, new RegExp(`^ +${n}  delta floor +[0-9.]+ s `, 'm'), `the floor's line for ${n} nodes`);
        assert.match(growth, new RegExp(`^ +${n}  delta ours/floor +([0-9.]+×|-) `, 'm'), `the ratio line for ${n} nodes`);
      }

      assert.deepEqual(files.filter((f) => f.endsWith('.json')).length, 1, `one JSON for the sweep: ${files.join(', ')}`);
      assert.match(jsonFile, /-nodes-20-40\.json$/);
      assert.deepEqual(sweep.fleetSizes, [...SIZES]);
      assert.deepEqual(
        sweep.runs.map((r) => r.setup.nodes),
        [...SIZES],
      );
      for (const [i, r] of sweep.runs.entries()) {
        const n = SIZES[i] as number;
        const ours = r.variants.delta;
        assert.ok(ours?.ok, ours?.error);
        assert.equal(ours.initialSync.synced, n);
        assert.equal(r.floor?.delta?.initialSync.synced, n, 'the floor ran at every size');
        assert.ok(Number.isFinite(ours.server.connectedRssBytes) && Number.isFinite(ours.server.rssPerNodeConnectedBytes), 'RSS with the fleet connected is sampled');
        assert.equal(r.thresholds[0]?.pass, true, `thresholds checked at ${n} nodes`);
      }
      assert.deepEqual(
        sweep.growth.map((g) => [g.nodes, g.variant]),
        SIZES.map((n) => [n, 'delta']),
      );
      for (const g of sweep.growth) {
        for (const key of ['p99Ms', 'syncAfterLastConnectS']) {
          assert.ok((g.ours[key] as number) > 0, `${g.nodes} nodes: ${key} measured (${g.ours[key]})`);
          assert.ok((g.floor?.[key] as number) > 0, `${g.nodes} nodes: the floor's ${key} measured`);
        }
        // CPU of one round at 20 nodes can be below the kernel's 10 ms accounting tick on a quiet machine: present and finite, possibly 0.
        for (const key of ['cpuPerRoundS', 'syncCpuS']) {
          assert.ok(Number.isFinite(g.ours[key]) && (g.ours[key] as number) >= 0, `${g.nodes} nodes: ${key} measured (${g.ours[key]})`);
          assert.ok(Number.isFinite(g.floor?.[key]) && (g.floor?.[key] as number) >= 0, `${g.nodes} nodes: the floor's ${key} measured`);
        }
        assert.ok(g.oursPerFloor && 'cpuPerRoundS' in g.oursPerFloor);
      }

      const html = read('.html');
      assert.match(html, /<h2 id="growth">Growth with fleet size<\/h2>/);
      for (const title of ['Server CPU per round by fleet size', 'Update latency p99 by fleet size', 'Server RSS per node over idle, by fleet size', 'Ours / floor by fleet size']) {
        assert.match(html, new RegExp(`<svg[^>]*data-title="${title.replace(/[/()]/g, '\\$&')}"[^>]*>.*?<polyline`, 's'), `a drawn chart "${title}"`);
      }
      assert.match(html, /data-title="Update latency per round \(40 nodes\)"/, 'each size keeps its own charts');
    });
  });

  it('reads --nodes as one size, or as a list of sizes sorted ascending, and refuses a repeated or bad size', () => {
    assert.deepEqual(parseBenchOptions(['--nodes', '5000']).fleetSizes, [5000]);
    assert.equal(parseBenchOptions(['--nodes', '5000']).nodes, 5000);
    const sweep = parseBenchOptions(['--nodes', '5000,1000,2500']);
    assert.deepEqual(sweep.fleetSizes, [1000, 2500, 5000]);
    assert.equal(sweep.nodes, 1000);
    assert.throws(
      () => parseBenchOptions(['--nodes', '1000,1000']),
      (err: Error) => err instanceof UsageError && /1000 is given twice/.test(err.message),
    );
    assert.throws(
      () => parseBenchOptions(['--nodes', '1000,,2000']),
      (err: Error) => err instanceof UsageError && /whole number/.test(err.message),
    );
    assert.throws(
      () => parseBenchOptions(['--nodes', '1000,2.5']),
      (err: Error) => err instanceof UsageError && /got "2.5"/.test(err.message),
    );
  });
});

/**
 * `npm run bench -- --source etcd --replicas 2 --scenario failover` at small
 * scale: a real etcd written with the project's apply, two server replicas
 * reading it, 100 nodes spread over them. After the rounds one replica is
 * killed; its nodes reconnect to the other with the versions they hold.
 * Nothing changed meanwhile, so a moved delta node is sent (almost) nothing,
 * every stream comes back on the survivor, and a change made afterwards
 * reaches every node. No timing assertions.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BenchResult } from '../../bench/result';
import { runBench } from '../helpers/run-bench';

const NODES = 100;
const REPLICAS = 2;
const ROUNDS = 2;
/** The bound for a moved delta node when nothing changed (a full sync of the 1000-cluster mesh is ~386 KiB). */
const MOVED_DELTA_NODE_MAX_BYTES = 1024;
const TIME_LIMIT_MS = 240_000;

describe('bench smoke, failover on etcd', () => {
  it('kills one of two replicas on etcd; its nodes move to the other, a delta node is sent under 1 KiB, and all are back in sync', { timeout: TIME_LIMIT_MS + 10_000 }, async () => {
    const flags = {
      nodes: NODES,
      replicas: REPLICAS,
      source: 'etcd',
      scenario: 'failover',
      rounds: ROUNDS,
      churn: 'endpoint',
      clusters: 50,
      endpoints: 2,
      listeners: 2,
      routes: 2,
      'settle-ms': 500,
      'round-timeout': 60,
      'sync-timeout': 90,
      threshold: [`delta.failoverBytes<${MOVED_DELTA_NODE_MAX_BYTES}`],
    };
    await runBench<BenchResult>(flags, { tmpPrefix: 'bench-failover-', timeoutMs: TIME_LIMIT_MS }, ({ stdout, jsonFile, result, read }) => {
      assert.match(stdout, /failover: nodes moved/);
      assert.match(stdout, /source etcd, 2 replicas/);
      assert.equal(result.setup.source, 'etcd');
      assert.equal(result.setup.replicas, REPLICAS);
      for (const variant of ['sotw', 'delta'] as const) {
        const v = result.variants[variant];
        assert.ok(v, `${variant} ran`);
        assert.equal(v.ok, true, v.error);
        assert.equal(v.initialSync.synced, NODES);
        for (const r of v.rounds) {
          assert.equal(r.commitSource, 'etcd-commit');
          assert.equal(r.received, NODES, `${variant} round ${r.round} reached every node through etcd`);
        }
        const f = v.failover;
        assert.ok(f, `${variant} failed over`);
        assert.equal(f.movedNodes, NODES / REPLICAS);
        assert.equal(f.movedSeen, f.movedNodes, `${variant}: every node of the killed replica moved`);
        assert.ok(Number.isFinite(f.backInSyncMs), `${variant}: every stream was open on the survivor again`);
        assert.equal(f.inSyncAfter, NODES);
        assert.equal(f.probe.received, f.probe.expected, `${variant}: the change after the failover reached every node, moved ones included`);
        assert.equal(f.probe.expected, NODES);
      }
      const delta = result.variants.delta?.failover;
      assert.ok(delta && delta.rxBytesPerMovedNode < MOVED_DELTA_NODE_MAX_BYTES, `a moved delta node received ${delta?.rxBytesPerMovedNode} B`);
      assert.ok(delta.rxBytesPerMovedNode < (result.variants.delta?.initialSync.rxBytesPerNode ?? 0) / 10, 'far less than a full sync');
      assert.deepEqual(
        result.thresholds.map((t) => t.pass),
        [true],
      );
      assert.match(read(jsonFile.replace(/\.json$/, '.html')), /Failover: one of 2 replicas killed/);
    });
  });
});

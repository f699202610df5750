/**
 * Convergence without markers: receipts of each resource version arrive
 * from several workers out of order; the tracker measures each version
 * from its first node to its last, bounded in what it keeps.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { ConvergenceTracker } from '../../../loadgen/convergence';

const T0 = 1_700_000_000_000_000; // epoch µs

describe('convergence tracker', () => {
  it('measures first → last node per version even when a later report holds the earliest receipt', () => {
    const t = new ConvergenceTracker({ quietMs: 1_000 });
    t.record('eds/c0@v2', [T0 + 5_000, T0 + 9_000], 100); // worker 0
    t.record('eds/c0@v2', [T0, T0 + 2_000], 300); // worker 1 reports later, saw it first
    const s = t.summary();
    assert.equal(s.versions, 1);
    assert.equal(s.slowest[0]?.key, 'eds/c0@v2');
    assert.equal(s.slowest[0]?.nodes, 4);
    assert.equal(s.slowest[0]?.firstAtMicros, T0);
    assert.equal(s.spreadMs.max, 9);
    assert.equal(s.afterFirstMs.count, 4);
    assert.equal(s.afterFirstMs.min, 0);
    assert.equal(s.afterFirstMs.max, 9);
  });

  it('closes a version after the quiet time and counts a late receipt against the known first', () => {
    const t = new ConvergenceTracker({ quietMs: 1_000 });
    t.record('cds/a@x', [T0, T0 + 1_000], 0);
    t.settle(500);
    t.record('cds/a@x', [T0 + 2_000], 600); // still open
    t.settle(2_000); // quiet since 600: closed
    t.record('cds/a@x', [T0 + 30_000], 5_000); // a node that reconnected late
    const s = t.summary();
    assert.equal(s.versions, 1);
    assert.equal(s.slowest[0]?.nodes, 4);
    assert.equal(s.slowest[0]?.spreadMs, 30);
    assert.equal(s.afterFirstMs.max, 30);
  });

  it('keeps versions apart and lists the widest spread first', () => {
    const t = new ConvergenceTracker();
    t.record('eds/a@1', [T0, T0 + 1_000], 0);
    t.record('eds/b@1', [T0, T0 + 50_000], 0);
    t.record('lds/l (removed)', [T0 + 10], 0);
    const s = t.summary();
    assert.deepEqual(
      s.slowest.map((v) => v.key),
      ['eds/b@1', 'eds/a@1', 'lds/l (removed)'],
    );
    assert.equal(s.versions, 3);
  });

  it('counts receipts of versions beyond the open limit as untracked, and bounds the versions kept by name', () => {
    const t = new ConvergenceTracker({ maxOpen: 2, maxKept: 3, quietMs: 10 });
    t.record('a', [T0], 0);
    t.record('b', [T0], 0);
    t.record('c', [T0, T0 + 1], 0);
    assert.equal(t.summary().untrackedReceipts, 2);
    for (const k of ['d', 'e', 'f', 'g']) {
      t.record(k, [T0, T0 + 7_000], 100);
      t.settle(1_000);
    }
    const s = t.summary();
    assert.equal(s.versions, 6, 'evicted versions still count in the spread figures');
    assert.equal(s.spreadMs.max, 7);
  });
});

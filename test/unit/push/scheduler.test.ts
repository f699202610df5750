/**
 * @module test/unit/push/scheduler.test
 * The push scheduler hands a change set only to the watches of the node
 * groups it touches, marks them synchronously and flushes them on a later
 * turn, once per batch however many changes arrived.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PushScheduler } from '../../../src/push';
import { FLUSH_SLICE_MS } from '../../../src/push/scheduler';
import type { Watch } from '../../../src/push';
import type { ChangeSet, TypeChange } from '../../../src/store';

class RecordingWatch implements Watch {
  readonly noted: string[][] = [];
  flushes = 0;
  constructor(readonly group: string) {}
  noteChanges(changes: ReadonlyMap<string, TypeChange>): void {
    this.noted.push([...changes.values()].flatMap((c) => [...c.updated, ...c.removed.map((r) => `-${r}`)]));
  }
  flush(): void {
    this.flushes++;
  }
}

const T = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const change = (revision: number, group: string, updated: string[], removed: string[] = []): ChangeSet => ({ revision, byGroup: new Map([[group, new Map([[T, { updated, removed }]])]]) });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('only watches of the changed group are told, at once, and flushed on a later turn', async () => {
  const s = new PushScheduler();
  const a = new RecordingWatch('a');
  const b = new RecordingWatch('b');
  s.register(a);
  s.register(b);
  s.publish(change(1, 'a', ['x'], ['y']));
  assert.deepEqual(a.noted, [['x', '-y']]);
  assert.deepEqual(b.noted, []);
  assert.equal(a.flushes, 0, 'sending waits for the next turn');
  await turn();
  assert.equal(a.flushes, 1);
  assert.equal(b.flushes, 0);
});

test('several batches in one turn flush each watch once', async () => {
  const s = new PushScheduler();
  const a = new RecordingWatch('a');
  s.register(a);
  s.publish(change(1, 'a', ['x']));
  s.publish(change(2, 'a', ['y']));
  await turn();
  assert.equal(a.noted.length, 2);
  assert.equal(a.flushes, 1);
  assert.equal(s.pushes, 2);
});

test('a cancelled watch is neither told nor flushed, even with a flush already scheduled', async () => {
  const s = new PushScheduler();
  const a = new RecordingWatch('a');
  const cancel = s.register(a);
  s.publish(change(1, 'a', ['x']));
  cancel();
  s.publish(change(2, 'a', ['y']));
  await turn();
  assert.equal(a.noted.length, 1);
  assert.equal(a.flushes, 0);
  assert.equal(s.size, 0);
});

test('flushAll flushes every watch of every group', async () => {
  const s = new PushScheduler();
  const ws = ['a', 'b', 'a'].map((g) => new RecordingWatch(g));
  for (const w of ws) s.register(w);
  s.flushAll();
  await turn();
  assert.deepEqual(
    ws.map((w) => w.flushes),
    [1, 1, 1],
  );
});

/** Turns until no flush is scheduled (one slice per turn). */
const drain = async (turns = 20): Promise<void> => {
  for (let i = 0; i < turns; i++) await turn();
};

test('a watch due several times before its flush (two batches and flushAll) is flushed once', async () => {
  const s = new PushScheduler();
  const a = new RecordingWatch('a');
  s.register(a);
  s.publish(change(1, 'a', ['x']));
  s.flushAll();
  s.publish(change(2, 'a', ['y']));
  await drain();
  assert.equal(a.flushes, 1);
});

/** A clock that moves only when a watch flushes: each flush takes `msPerFlush`. */
function steppingClock(msPerFlush: number): { now: () => number; step: () => void } {
  let t = 0;
  return { now: () => t, step: () => void (t += msPerFlush) };
}

test('a fan-out is flushed in slices bounded by wall time, in the order the streams became due', async () => {
  const clock = steppingClock(1);
  const s = new PushScheduler({ now: clock.now, sliceMs: 10 });
  const order: number[] = [];
  const ws = Array.from({ length: 25 }, (_, i) => {
    const w = new RecordingWatch('a');
    w.flush = () => {
      order.push(i);
      clock.step();
    };
    s.register(w);
    return w;
  });
  s.publish(change(1, 'a', ['x']));
  await turn();
  assert.equal(order.length, 10, '10 ms of 1 ms flushes on the first turn');
  await turn();
  assert.equal(order.length, 20);
  await drain();
  assert.deepEqual(
    order,
    ws.map((_, i) => i),
  );
});

test('a fan-out of cheap flushes is written in one turn, however many streams', async () => {
  const s = new PushScheduler({ now: () => 0 });
  const ws = Array.from({ length: 5000 }, () => new RecordingWatch('a'));
  for (const w of ws) s.register(w);
  s.publish(change(1, 'a', ['x']));
  await turn();
  assert.equal(ws.filter((w) => w.flushes === 1).length, 5000);
});

test('by default a slice yields after FLUSH_SLICE_MS of real time', async () => {
  const s = new PushScheduler();
  let flushed = 0;
  // 20 flushes of FLUSH_SLICE_MS / 16 each take longer than one slice, so the first slice must stop short of them all.
  const busy = FLUSH_SLICE_MS / 16;
  for (let i = 0; i < 20; i++) {
    const w = new RecordingWatch('a');
    w.flush = () => {
      flushed++;
      const until = performance.now() + busy;
      while (performance.now() < until);
    };
    s.register(w);
  }
  s.publish(change(1, 'a', ['x']));
  await turn();
  assert.ok(flushed >= 1 && flushed <= Math.ceil(FLUSH_SLICE_MS / busy) + 1, `${flushed} flushes of ${busy} ms in the first slice (budget ${FLUSH_SLICE_MS} ms)`);
  assert.ok(flushed < 20, 'the first slice yielded before flushing every watch');
  await drain(20);
  assert.equal(flushed, 20);
});

test('a watch cancelled while it waits in a later slice is not flushed, and its replacement only when due', async () => {
  const clock = steppingClock(1);
  const s = new PushScheduler({ now: clock.now, sliceMs: 5 });
  const ws = Array.from({ length: 8 }, () => {
    const w = new RecordingWatch('a');
    w.flush = () => {
      w.flushes++;
      clock.step();
    };
    return w;
  });
  const cancels = ws.map((w) => s.register(w));
  s.publish(change(1, 'a', ['x']));
  await turn();
  const last = ws[7] as RecordingWatch;
  assert.equal(last.flushes, 0, 'still queued after the first slice');
  cancels[7]?.();
  // The same watch registered again (a stream moving group): its stale slot must not flush it.
  s.register(last);
  await drain();
  assert.equal(last.flushes, 0);
  assert.equal(ws[6]?.flushes, 1);
  s.publish(change(2, 'a', ['y']));
  await drain();
  assert.equal(last.flushes, 1);
});

test('a watch that becomes due again while a fan-out is being flushed is flushed again after its first flush', async () => {
  const clock = steppingClock(1);
  const s = new PushScheduler({ now: clock.now, sliceMs: 5 });
  const ws = Array.from({ length: 8 }, () => {
    const w = new RecordingWatch('a');
    w.flush = () => {
      w.flushes++;
      clock.step();
    };
    return w;
  });
  for (const w of ws) s.register(w);
  s.publish(change(1, 'a', ['x']));
  await turn();
  // The first slice is done; a second batch arrives before the rest are flushed.
  s.publish(change(2, 'a', ['y']));
  await drain();
  assert.deepEqual(
    ws.map((w) => w.flushes),
    [2, 2, 2, 2, 2, 1, 1, 1],
    'flushed streams are due again; streams still queued are flushed once for both',
  );
});

test('pushes of changing sizes, one after another, flush every watch of the group exactly once each', async () => {
  const s = new PushScheduler();
  const groups = { big: 1200, small: 3, mid: 700 };
  const ws = Object.entries(groups).flatMap(([g, n]) => Array.from({ length: n }, () => new RecordingWatch(g)));
  for (const w of ws) s.register(w);
  let revision = 0;
  for (const g of ['big', 'small', 'mid', 'small', 'big']) {
    // Slots of the queue are reused between pushes of different sizes.
    const before = ws.map((w) => w.flushes);
    s.publish(change(++revision, g, ['x']));
    await drain();
    ws.forEach((w, i) => assert.equal(w.flushes - (before[i] ?? 0), w.group === g ? 1 : 0, `push ${revision} (${g}), watch ${i} of ${w.group}`));
  }
});

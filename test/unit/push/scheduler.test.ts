/**
 * @module test/unit/push/scheduler.test
 * The push scheduler hands a change set only to the watches of the node
 * groups it touches, marks them synchronously and flushes them on a later
 * turn, once per batch however many changes arrived.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PushScheduler } from '../../../src/push';
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

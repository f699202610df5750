import { test, mock } from 'node:test';
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { DeltaCallSink } from '../../../src/transport/stream-writer';
import { ResponseCache } from '../../../src/transport/response-cache';
import type { FramedMessage } from '../../../src/transport/framed-message';
import { BUDGETED_WRITE_MIN_BYTES, WriteBudget, WRITE_STALL_MS } from '../../../src/transport/write-budget';
import type { DeltaPlan } from '../../../src/stream';

/** A call whose writes complete only when the test says so. */
class FakeCall extends EventEmitter {
  readonly pending: (() => void)[] = [];
  readonly written: FramedMessage[] = [];
  /** What write returns: false once grpc-js's buffer is over its high-water mark. */
  accepting = true;
  write(message: FramedMessage, done: () => void): boolean {
    this.written.push(message);
    this.pending.push(done);
    return this.accepting;
  }
}

/** A response big enough to be counted in the budget (an initial sync's size, not an update's). */
const plan = (name: string, bytes = BUDGETED_WRITE_MIN_BYTES + 1000): DeltaPlan => ({
  typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  systemVersionInfo: '1',
  resources: [{ name, version: 'v', deltaEntry: Buffer.alloc(bytes, 1) }],
  removed: [],
});

function sinkWith(budget: WriteBudget): { sink: DeltaCallSink; call: FakeCall } {
  const call = new FakeCall();
  const sink = new DeltaCallSink(call as unknown as grpc.ServerDuplexStream<Buffer, FramedMessage>, new ResponseCache(), { responses: 0, bytes: 0 }, budget);
  return { sink, call };
}

test('unflushed bytes count against the budget until grpc-js reports the write flushed', () => {
  const budget = new WriteBudget(10_000);
  const { sink, call } = sinkWith(budget);
  let n = 0;
  sink.write(plan('a'), () => `n${++n}`);
  const size = call.written[0]?.payloadLength ?? 0;
  assert.ok(size > BUDGETED_WRITE_MIN_BYTES);
  assert.equal(sink.unflushedBytes, size);
  assert.equal(budget.inFlight, size);
  call.pending.shift()?.();
  assert.equal(sink.unflushedBytes, 0);
  assert.equal(budget.inFlight, 0);
});

test('a full budget makes other streams wait, and a flush wakes them in order', () => {
  const budget = new WriteBudget(1000);
  const a = sinkWith(budget);
  const b = sinkWith(budget);
  let woken = 0;
  b.sink.onDrain(() => woken++);
  a.sink.write(plan('a'), () => 'x1');
  assert.equal(b.sink.ready(), false, 'budget is used up by a');
  a.call.pending.shift()?.();
  assert.equal(woken, 1);
  assert.equal(b.sink.ready(), true);
});

test('a write that never flushes leaves the in-flight budget for the stalled ledger after the stall limit and still shows as unflushed', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const budget = new WriteBudget(1500);
    const { sink } = sinkWith(budget);
    sink.write(plan('a'), () => 'x1');
    assert.ok(budget.inFlight > 0);
    mock.timers.tick(WRITE_STALL_MS + 1);
    assert.equal(budget.inFlight, 0);
    assert.ok(sink.unflushedBytes > 0);
    assert.equal(budget.stalled, sink.unflushedBytes, 'it is counted as stalled instead');
    sink.close();
    assert.equal(budget.inFlight, 0, 'closing does not give the same bytes back twice');
    assert.equal(budget.stalled, 0, 'closing takes it out of the stalled ledger');
  } finally {
    mock.timers.reset();
  }
});

test('small writes (update fan-outs) bypass the budget but still show as unflushed until flushed', () => {
  const budget = new WriteBudget(1000);
  const { sink, call } = sinkWith(budget);
  sink.write(plan('a', 300), () => 'x1');
  assert.equal(budget.inFlight, 0);
  assert.ok(sink.unflushedBytes > 300);
  call.pending.shift()?.();
  assert.equal(sink.unflushedBytes, 0);
});

test('after a large write the stream writes nothing more until that write flushes; the flush wakes it', () => {
  const budget = new WriteBudget(1_000_000);
  const { sink, call } = sinkWith(budget);
  let woken = 0;
  sink.onDrain(() => woken++);
  assert.equal(
    sink.write(plan('a'), () => 'x1'),
    'x1',
    'the nonce used is returned',
  );
  assert.equal(sink.mayWriteMore, false, 'a large write ends this flush');
  assert.equal(sink.ready(), false, 'no second response while the first is unflushed');
  assert.equal(budget.waiting, 0, 'the stream waits for its own flush, not for the budget');
  call.pending.shift()?.();
  assert.equal(woken, 1);
  assert.equal(sink.ready(), true);
});

test('a stalled write moves to the stalled ledger; over its limit the longest-stalled stream is evicted first, and a late flush leaves the ledger', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const size = BUDGETED_WRITE_MIN_BYTES + 1000;
    // Room for two stalled responses, not three.
    const budget = new WriteBudget(10 * size, 2.5 * size);
    const evicted: string[] = [];
    const sinks = ['a', 'b', 'c'].map((name) => {
      const call = new FakeCall();
      const sink = new DeltaCallSink(call as unknown as grpc.ServerDuplexStream<Buffer, FramedMessage>, new ResponseCache(), { responses: 0, bytes: 0 }, budget, undefined, () => evicted.push(name));
      return { name, sink, call };
    });
    for (const [i, s] of sinks.entries()) {
      s.sink.write(plan(s.name), () => `n${i}`);
      mock.timers.tick(1000);
    }
    mock.timers.tick(WRITE_STALL_MS);
    assert.equal(budget.inFlight, 0);
    assert.deepEqual(evicted, ['a'], 'the stream stalled longest goes first');
    assert.equal(budget.stalledStreams, 2);
    assert.ok(budget.stalled <= budget.stalledLimitBytes);
    sinks[1]?.call.pending.shift()?.();
    assert.equal(budget.stalledStreams, 1, 'b read after all and left the ledger');
    sinks[2]?.sink.close();
    assert.equal(budget.stalled, 0);
    assert.equal(budget.stalledStreams, 0);
  } finally {
    mock.timers.reset();
  }
});

test('small writes of different sizes are counted off in the order grpc-js reports them flushed, also around a large write', () => {
  const budget = new WriteBudget(1_000_000);
  const { sink, call } = sinkWith(budget);
  let n = 0;
  const nonce = (): string => `n${++n}`;
  sink.write(plan('a', 200), nonce);
  sink.write(plan('b', 900), nonce);
  sink.write(plan('c'), nonce);
  const [a, b, c] = call.written.map((m) => m.payloadLength) as [number, number, number];
  assert.notEqual(a, b);
  assert.equal(sink.unflushedBytes, a + b + c);
  call.pending.shift()?.();
  assert.equal(sink.unflushedBytes, b + c, 'the first callback takes the first write’s size');
  call.pending.shift()?.();
  assert.equal(sink.unflushedBytes, c);
  assert.equal(budget.inFlight, c);
  sink.write(plan('d', 300), nonce);
  const d = call.written[3]?.payloadLength ?? 0;
  call.pending.shift()?.();
  assert.equal(sink.unflushedBytes, d);
  assert.equal(budget.inFlight, 0);
  call.pending.shift()?.();
  assert.equal(sink.unflushedBytes, 0);
});

test('a closed stream ignores late flush callbacks, and its count stays zero', () => {
  const budget = new WriteBudget(1_000_000);
  const { sink, call } = sinkWith(budget);
  sink.write(plan('a', 200), () => 'x1');
  sink.close();
  assert.equal(sink.unflushedBytes, 0);
  call.pending.shift()?.();
  assert.equal(sink.unflushedBytes, 0);
});

test('after a small write the stream may write more exactly when grpc-js accepted the write without a full buffer', () => {
  const budget = new WriteBudget(1_000_000);
  const { sink, call } = sinkWith(budget);
  assert.equal(
    sink.write(plan('a', 300), () => 'x1'),
    'x1',
  );
  assert.equal(sink.mayWriteMore, true);
  call.accepting = false;
  assert.equal(
    sink.write(plan('b', 300), () => 'x2'),
    'x2',
  );
  assert.equal(sink.mayWriteMore, false, 'a full grpc-js buffer ends this flush (wait for drain)');
  call.accepting = true;
  sink.write(plan('c', 300), () => 'x3');
  assert.equal(sink.mayWriteMore, true, 'each write reports its own answer, not a sticky one');
});

import { test, mock } from 'node:test';
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { DeltaCallSink } from '../../../src/transport/stream-writer';
import { ResponseCache } from '../../../src/transport/response-cache';
import { BUDGETED_WRITE_MIN_BYTES, WriteBudget, WRITE_STALL_MS } from '../../../src/transport/write-budget';
import type { DeltaPlan } from '../../../src/stream';

/** A call whose writes complete only when the test says so. */
class FakeCall extends EventEmitter {
  readonly pending: (() => void)[] = [];
  readonly written: Buffer[] = [];
  write(message: Buffer, done: () => void): boolean {
    this.written.push(message);
    this.pending.push(done);
    return true;
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
  const sink = new DeltaCallSink(call as unknown as grpc.ServerDuplexStream<Buffer, Buffer>, new ResponseCache(), { responses: 0, bytes: 0 }, budget);
  return { sink, call };
}

test('unflushed bytes count against the budget until grpc-js reports the write flushed', () => {
  const budget = new WriteBudget(10_000);
  const { sink, call } = sinkWith(budget);
  let n = 0;
  sink.write(plan('a'), () => `n${++n}`);
  const size = call.written[0]?.length ?? 0;
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

test('a write that never flushes gives its budget back after the stall limit but still shows as unflushed', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const budget = new WriteBudget(1500);
    const { sink } = sinkWith(budget);
    sink.write(plan('a'), () => 'x1');
    assert.ok(budget.inFlight > 0);
    mock.timers.tick(WRITE_STALL_MS + 1);
    assert.equal(budget.inFlight, 0);
    assert.ok(sink.unflushedBytes > 0);
    sink.close();
    assert.equal(budget.inFlight, 0, 'closing does not give the same bytes back twice');
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

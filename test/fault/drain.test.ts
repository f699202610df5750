/**
 * @module test/fault/drain.test
 * SIGTERM on the real CLI: the server refuses new streams, ends the open
 * ones with UNAVAILABLE spread over the drain window (so a fleet moves to
 * other replicas gradually), and exits 0 within the window.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { T } from '../helpers/service-paths';
import { CliProcess } from '../helpers/cli-process';
import { RawXdsStream } from '../helpers/raw-stream';

const DRAIN_TIMEOUT_MS = 2_000;
/** Process exit, admin close and scheduling on a loaded CI machine; not a speed claim. */
const EXIT_SLACK_MS = 3_000;
const STREAMS = 24;
const DEADLINE_MS = 10_000;

test('SIGTERM drains: open streams end with UNAVAILABLE spread over the window, new streams are refused, and the process exits 0 within the drain timeout', async () => {
  const cli = await CliProcess.start(['--port', '0', '--host', '127.0.0.1', '--admin-port', '0', '--workers', '1', '--drain-timeout-ms', String(DRAIN_TIMEOUT_MS)]);
  const streams: RawXdsStream[] = [];
  try {
    for (let i = 0; i < STREAMS; i++) {
      const s = new RawXdsStream({ port: cli.grpcPort, variant: i % 2 === 0 ? 'sotw' : 'delta', node: { id: `drain-${i}` }, autoAck: true });
      s.subscribeWildcard(T.CLUSTER);
      streams.push(s);
    }
    // Every stream has its config (the built-in example has one cluster, example_cluster).
    await Promise.all(streams.map((s) => s.waitFor((r) => r.names.includes('example_cluster'), DEADLINE_MS, 'the example cluster')));

    const sigtermAt = performance.now();
    const endedAt: number[] = [];
    const statuses = Promise.all(
      streams.map((s) =>
        s.ended(DRAIN_TIMEOUT_MS + EXIT_SLACK_MS).then((st) => {
          endedAt.push(performance.now() - sigtermAt);
          return st;
        }),
      ),
    );
    cli.signal('SIGTERM');
    await cli.waitForLog((l) => l.msg === 'shutting down', DEADLINE_MS);

    // A node arriving during the drain is refused; it should go to another replica.
    const late = new RawXdsStream({ port: cli.grpcPort, variant: 'sotw', node: { id: 'drain-late' } });
    late.subscribeWildcard(T.CLUSTER);
    const lateStatus = await late.ended(DEADLINE_MS);
    late.close();
    assert.equal(grpc.status[lateStatus.code], 'UNAVAILABLE', `a stream opened during the drain: "${lateStatus.details}"`);
    assert.equal(late.responses.length, 0);

    const exit = await cli.exited;
    const exitMs = exit.at - sigtermAt;
    const ended = await statuses;
    assert.equal(exit.code, 0, `exit code (signal ${exit.signal}); stderr: ${cli.stderr}`);
    assert.ok(exitMs <= DRAIN_TIMEOUT_MS + EXIT_SLACK_MS, `exited ${exitMs.toFixed(0)} ms after SIGTERM; limit ${DRAIN_TIMEOUT_MS} ms + ${EXIT_SLACK_MS} ms slack`);
    for (const st of ended) assert.equal(grpc.status[st.code], 'UNAVAILABLE', `open stream ended with "${st.details}"`);
    endedAt.sort((a, b) => a - b);
    const first = endedAt[0] ?? 0;
    const last = endedAt.at(-1) ?? 0;
    // Spread, not all at once: the closes cover a good part of the window.
    assert.ok(last - first >= DRAIN_TIMEOUT_MS / 4, `stream ends spread over ${(last - first).toFixed(0)} ms only`);
    const drained = cli.logs.find((l) => l.msg === 'drain finished');
    console.log(
      `[fault] drain: ${STREAMS} streams, --drain-timeout-ms ${DRAIN_TIMEOUT_MS}: streams ended (UNAVAILABLE) between ${first.toFixed(0)} and ${last.toFixed(0)} ms after SIGTERM; ` +
        `server logged drainedMs=${String(drained?.['drainedMs'])}; process exited with code 0 after ${exitMs.toFixed(0)} ms; ` +
        `a stream opened during the drain got UNAVAILABLE "${lateStatus.details.slice(0, 100)}"`,
    );
  } finally {
    for (const s of streams) s.close();
    await cli.kill();
  }
});

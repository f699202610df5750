/**
 * @module test/fault/csds-bounds.test
 * One CSDS request must not stall every node. An answer larger than
 * `--csds-max-response-bytes` is refused with RESOURCE_EXHAUSTED (and
 * pipelined copies with it), while the summary mode and node matchers still
 * answer; a large answer is built in slices, so the event loop keeps
 * turning; the server-wide request rate and the bound on requests in
 * progress refuse the excess. Every refusal names its flag and is counted in
 * `xds_csds_requests_total{outcome}`.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { XdsServerWithInternals } from '../../src/index';
import { AdsClient } from '../helpers/ads-client';
import { CsdsClient, csdsError, nodeIds } from '../helpers/csds-client';
import { cluster, startServer, waitFor } from '../helpers/server';
import type { TestServer } from '../helpers/server';
import { T } from '../helpers/service-paths';
import type { ResourceJson } from '../../src/api-types';
import { metricValue, parseMetrics } from '../helpers/admin-scrape';

const MIB = 1024 * 1024;
/** Above this the loop counts as stalled. Before slicing, the answer below blocked it for over a second. */
const MAX_LOOP_DELAY_MS = 400;

/** `count` clusters, each padded to about `padBytes`. */
function paddedClusters(count: number, padBytes: number): ResourceJson[] {
  return Array.from({ length: count }, (_, i) => ({ ...cluster(`c${i}`), metadata: { filter_metadata: { pad: { p: `${'x'.repeat(padBytes)}${i}` } } } }));
}

/** `count` SotW nodes `n0…`, each holding every cluster; with `nack`, each rejects them with its own message. */
async function connectNodes(port: number, count: number, options: { nack?: boolean } = {}): Promise<AdsClient[]> {
  const nodes: AdsClient[] = [];
  for (let i = 0; i < count; i++) {
    const c = await AdsClient.connect(port, { variant: 'sotw', node: { id: `n${i}` }, channelOptions: { 'grpc.max_receive_message_length': -1 } });
    if (options.nack) {
      c.subscribe(T.CLUSTER, []);
      c.nack(await c.next(T.CLUSTER, { timeoutMs: 20_000 }), `n${i} rejects these clusters`);
    } else {
      await c.fetch(T.CLUSTER, [], { timeoutMs: 20_000 });
    }
    nodes.push(c);
  }
  return nodes;
}

async function outcomes(ts: TestServer): Promise<(outcome: string) => number> {
  const samples = parseMetrics((await (ts.server as XdsServerWithInternals).internals.metrics.render()).body);
  return (outcome) => metricValue(samples, 'xds_csds_requests_total', { outcome });
}

test('a CSDS answer over the size cap is refused with RESOURCE_EXHAUSTED naming the flag and the ways to narrow it; summary mode and a node matcher still answer', async () => {
  // 3 nodes × ~2 MiB of clusters: 6 MiB for everything, over the default 4 MiB cap.
  const ts = await startServer({ resources: paddedClusters(20, 100_000), csds: { requestsPerSecond: 1_000 } });
  const nodes = await connectNodes(ts.port, 3);
  const csds = new CsdsClient(ts.port);
  try {
    const err = await csdsError(csds.fetch({}));
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED, err.details);
    for (const hint of ['--csds-max-response-bytes', 'node_matchers', 'exclude_resource_contents']) assert.ok(err.details.includes(hint), `the refusal mentions ${hint}: "${err.details}"`);
    const pipelined = await csds.stream([{}, {}, {}, {}, {}]);
    assert.equal(pipelined.status.code, grpc.status.RESOURCE_EXHAUSTED, 'pipelined oversized requests end the call with the same refusal');
    assert.equal(pipelined.answers.length, 0, 'and none of them was built and sent');

    const summary = await csds.fetch({ excludeResourceContents: true });
    assert.deepEqual(nodeIds(summary), ['n0', 'n1', 'n2'], 'the summary mode lists every node');
    const page = await csds.fetchNode('n1');
    assert.deepEqual(nodeIds(page), ['n1'], 'one node at a time fits');
    assert.ok(page.bytes.length > 1.5 * MIB && page.bytes.length <= 4 * MIB, `one node's answer carries its clusters (${page.bytes.length} bytes)`);
    const count = await outcomes(ts);
    assert.equal(count('too_large'), 2, 'both refusals are counted');
    assert.equal(count('answered'), 2);
    console.log(`[fault] CSDS size cap: everything → ${grpc.status[err.code]}; summary ${summary.bytes.length} bytes; one node ${page.bytes.length} bytes`);
  } finally {
    csds.close();
    for (const n of nodes) n.close();
    await ts.stop();
  }
});

test('the server-wide CSDS request rate refuses the excess with RESOURCE_EXHAUSTED naming --csds-request-rate', async () => {
  const ts = await startServer({ resources: [cluster('c0')], csds: { requestsPerSecond: 2 } });
  const csds = new CsdsClient(ts.port);
  try {
    const results = await Promise.allSettled([csds.fetch({}), csds.fetch({}), csds.fetch({}), csds.fetch({})]);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as grpc.ServiceError);
    assert.equal(results.length - refused.length, 2, "the burst (one second's worth) is answered");
    assert.equal(refused.length, 2, 'the rest is refused');
    for (const e of refused) {
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(e.details, /--csds-request-rate/);
    }
    assert.equal((await outcomes(ts))('rate_limited'), 2);
  } finally {
    csds.close();
    await ts.stop();
  }
});

const NODES = 40;
let big: TestServer;
let bigNodes: AdsClient[] = [];

before(async () => {
  // 40 nodes × 1000 clusters, each node NACKing them with its own message: a summary of every node is
  // 40,000 entries (about 4.5 MiB) that no two nodes share, so every one of them is built.
  big = await startServer({ resources: paddedClusters(1000, 10), csds: { requestsPerSecond: 1_000, maxConcurrent: 1, maxResponseBytes: 64 * MIB } });
  bigNodes = await connectNodes(big.port, NODES, { nack: true });
  const csds = new CsdsClient(big.port);
  // Streams handle their requests in order: once the last node's NACK shows, every node's has.
  await waitFor(async () => (await csds.fetchNode(`n${NODES - 1}`)).config[0]?.genericXdsConfigs?.[0]?.clientStatus === 'NACKED', 10_000, 'the last NACK to be recorded');
  csds.close();
});

after(async () => {
  for (const n of bigNodes) n.close();
  await big?.stop();
});

test('building a large CSDS answer leaves the event loop free: no stall longer than a few slices', async () => {
  const csds = new CsdsClient(big.port);
  try {
    await csds.fetchNode('n0'); // warm-up: first decodes compile protobufjs code once per process
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    const answer = await csds.fetch({ excludeResourceContents: true });
    const ms = performance.now() - started;
    delay.disable();
    assert.equal(answer.config.length, NODES);
    const entries = answer.config.flatMap((c) => c.genericXdsConfigs ?? []);
    assert.equal(entries.length, NODES * 1000);
    assert.ok(
      entries.every((e) => e.clientStatus === 'NACKED'),
      'every node NACKed every cluster',
    );
    const maxMs = delay.max / 1e6;
    console.log(`[fault] CSDS large answer: ${answer.bytes.length} bytes in ${ms.toFixed(0)} ms, longest event-loop stall ${maxMs.toFixed(0)} ms`);
    assert.ok(maxMs < MAX_LOOP_DELAY_MS, `the event loop stalled ${maxMs.toFixed(0)} ms while CSDS built its answer (bound ${MAX_LOOP_DELAY_MS} ms)`);
  } finally {
    csds.close();
  }
});

test('CSDS requests beyond --csds-max-concurrent in progress are refused with RESOURCE_EXHAUSTED naming the flag', async () => {
  const csds = new CsdsClient(big.port);
  const other = new CsdsClient(big.port);
  try {
    // Both channels connected first (one after the other: one slot), so the two requests below arrive together.
    await csds.fetchNode('n0');
    await other.fetchNode('n1');
    const before = (await outcomes(big))('busy');
    // An answer of every node takes a while to build and flush: whichever request arrives second finds the one slot taken.
    const results = await Promise.allSettled([csds.fetch({ excludeResourceContents: true }), other.fetch({ excludeResourceContents: true })]);
    const answered = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as grpc.ServiceError);
    assert.equal(answered.length, 1, 'the request in progress is answered');
    assert.equal(refused.length, 1, 'the concurrent one is refused');
    assert.equal(refused[0]?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(refused[0]?.details ?? '', /--csds-max-concurrent/);
    assert.equal((await outcomes(big))('busy') - before, 1);
    assert.equal(nodeIds(await other.fetchNode('n3')).length, 1, 'once it is done, the next request is answered');
  } finally {
    csds.close();
    other.close();
  }
});

test('pipelined StreamClientStatus requests are answered one at a time, in order', async () => {
  const csds = new CsdsClient(big.port);
  try {
    const ids = ['n5', 'n1', 'n9', 'n2', 'n7'];
    const { answers, status } = await csds.stream(ids.map((exact) => ({ nodeMatchers: [{ nodeId: { exact } }] })));
    assert.equal(status.code, grpc.status.OK, status.details);
    assert.deepEqual(
      answers.map((a) => nodeIds(a)[0]),
      ids,
    );
  } finally {
    csds.close();
  }
});

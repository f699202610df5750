/**
 * @module test/fault/csds-matchers.test
 * CSDS node matchers over the wire, as a CSDS client sends them: every
 * StringMatcher kind (exact, prefix, suffix, contains, safe_regex) with and
 * without ignore_case, node metadata matchers, OR across matchers, a
 * catastrophic regex answered at once (RE2 runs in linear time), and
 * matchers the server cannot honour refused with INVALID_ARGUMENT rather
 * than silently ignored.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { AdsClient } from '../helpers/ads-client';
import type { NodeSpec } from '../helpers/ads-client';
import { CsdsClient, csdsError, nodeIds } from '../helpers/csds-client';
import type { CsdsRequest } from '../helpers/csds-client';
import { cluster, startServer } from '../helpers/server';
import type { TestServer } from '../helpers/server';
import { T } from '../helpers/service-paths';

/** 26 `a`s then `b`: `(a+)+` on it takes a backtracking engine seconds. */
const EVIL_ID = `${'a'.repeat(26)}b`;
const CATASTROPHIC_BOUND_MS = 1_000;

const NODES: readonly NodeSpec[] = [
  { id: 'edge-Alpha-1', metadata: { region: 'eu-west', tier: 'edge' } },
  { id: 'edge-beta-2', metadata: { region: 'us-east', tier: 'edge' } },
  { id: 'core-gamma-3', metadata: { region: 'eu-north', tier: 'core' } },
  { id: EVIL_ID },
];

let ts: TestServer;
const nodes: AdsClient[] = [];
let csds: CsdsClient;

before(async () => {
  ts = await startServer({ resources: [cluster('c0')], csds: { requestsPerSecond: 1_000 } });
  for (const node of NODES) {
    const c = await AdsClient.connect(ts.port, { variant: 'sotw', node });
    await c.fetch(T.CLUSTER, []);
    nodes.push(c);
  }
  csds = new CsdsClient(ts.port);
});

after(async () => {
  csds?.close();
  for (const n of nodes) n.close();
  await ts?.stop();
});

async function matched(...nodeMatchers: Record<string, unknown>[]): Promise<string[]> {
  return nodeIds(await csds.fetch({ nodeMatchers } as CsdsRequest));
}

const byId = (nodeId: Record<string, unknown>): Record<string, unknown> => ({ nodeId });

test('every StringMatcher kind selects nodes by id: exact, prefix, suffix, contains, safe_regex (full match)', async () => {
  assert.deepEqual(await matched(byId({ exact: 'edge-beta-2' })), ['edge-beta-2']);
  assert.deepEqual(await matched(byId({ prefix: 'edge-' })), ['edge-Alpha-1', 'edge-beta-2']);
  assert.deepEqual(await matched(byId({ suffix: '-3' })), ['core-gamma-3']);
  assert.deepEqual(await matched(byId({ contains: 'ta-' })), ['edge-beta-2']);
  assert.deepEqual(await matched(byId({ safeRegex: { regex: 'edge-[a-z]+-\\d' } })), ['edge-beta-2']);
  assert.deepEqual(await matched(byId({ safeRegex: { regex: 'edge' } })), [], 'safe_regex must match the whole id, as in Envoy');
  assert.deepEqual(await matched(byId({ exact: '' })), [], 'exact "" matches only an empty id');
});

test('ignore_case folds case for exact, prefix, suffix and contains; safe_regex uses (?i) instead', async () => {
  assert.deepEqual(await matched(byId({ exact: 'EDGE-ALPHA-1', ignoreCase: true })), ['edge-Alpha-1']);
  assert.deepEqual(await matched(byId({ exact: 'EDGE-ALPHA-1' })), []);
  assert.deepEqual(await matched(byId({ prefix: 'EDGE-', ignoreCase: true })), ['edge-Alpha-1', 'edge-beta-2']);
  assert.deepEqual(await matched(byId({ suffix: '-ALPHA-1', ignoreCase: true })), ['edge-Alpha-1']);
  assert.deepEqual(await matched(byId({ contains: 'GAMMA', ignoreCase: true })), ['core-gamma-3']);
  assert.deepEqual(await matched(byId({ safeRegex: { regex: '(?i)EDGE-ALPHA-1' } })), ['edge-Alpha-1']);
});

test('several node matchers select the union of what each matches', async () => {
  assert.deepEqual(await matched(byId({ exact: 'core-gamma-3' }), byId({ suffix: '-2' })), ['core-gamma-3', 'edge-beta-2']);
});

test('node metadata matchers select by a metadata value, together with the node id matcher', async () => {
  const region = (stringMatch: Record<string, unknown>): Record<string, unknown> => ({ path: [{ key: 'region' }], value: { stringMatch } });
  assert.deepEqual(await matched({ nodeMetadatas: [region({ prefix: 'eu-' })] }), ['core-gamma-3', 'edge-Alpha-1']);
  assert.deepEqual(await matched({ nodeId: { prefix: 'edge-' }, nodeMetadatas: [region({ prefix: 'eu-' })] }), ['edge-Alpha-1'], 'id and metadata must both match');
  assert.deepEqual(
    await matched({ nodeMetadatas: [region({ prefix: 'eu-' }), { path: [{ key: 'tier' }], value: { stringMatch: { exact: 'core' } } }] }),
    ['core-gamma-3'],
    'every metadata matcher of one node matcher must match',
  );
  assert.deepEqual(await matched({ nodeMetadatas: [{ path: [{ key: 'tier' }], value: { presentMatch: true } }] }), ['core-gamma-3', 'edge-Alpha-1', 'edge-beta-2']);
  assert.deepEqual(await matched({ nodeMetadatas: [{ path: [{ key: 'missing' }], value: { presentMatch: true } }] }), []);
});

test('a catastrophic regex like (a+)+ is answered at once: RE2 runs in linear time', async () => {
  const started = performance.now();
  const ids = await matched(byId({ safeRegex: { regex: '(a+)+' } }));
  const ms = performance.now() - started;
  assert.deepEqual(ids, [], `${EVIL_ID} is not all a's`);
  assert.ok(ms < CATASTROPHIC_BOUND_MS, `(a+)+ against a 27-character id took ${ms.toFixed(0)} ms (bound ${CATASTROPHIC_BOUND_MS} ms)`);
  assert.deepEqual(await matched(byId({ safeRegex: { regex: '(a+)+b' } })), [EVIL_ID]);
  console.log(`[fault] CSDS (a+)+ against ${EVIL_ID.length} characters: ${ms.toFixed(1)} ms`);
});

test('matchers the server cannot honour are refused with INVALID_ARGUMENT, never ignored', async () => {
  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['an invalid regex', byId({ safeRegex: { regex: '(unclosed' } }), /not a valid RE2 expression/],
    ['lookahead (not RE2)', byId({ safeRegex: { regex: '(?=edge)edge.*' } }), /not a valid RE2 expression/],
    ['a custom matcher extension', byId({ custom: { name: 'x', typedConfig: { type_url: 'type.googleapis.com/google.protobuf.Empty' } } }), /custom .* not supported/],
    ['a matcher with no pattern', byId({ ignoreCase: true }), /sets no match pattern/],
    ['an empty prefix', byId({ prefix: '' }), /prefix must not be empty/],
    ['a metadata matcher without a path', { nodeMetadatas: [{ value: { presentMatch: true } }] }, /path needs at least one segment/],
  ];
  for (const [what, matcher, message] of refusals) {
    const err = await csdsError(csds.fetch({ nodeMatchers: [matcher] } as CsdsRequest));
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT, `${what}: ${err.details}`);
    assert.match(err.details, message, what);
  }
});

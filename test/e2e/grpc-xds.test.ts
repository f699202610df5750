/**
 * @module test/e2e/grpc-xds.test
 * End to end with a real xDS client: a grpc-js channel for `xds:///echo.test`
 * (via @grpc/grpc-js-xds) gets its Listener, RouteConfiguration, Cluster and
 * endpoints from our server, which serves a config file, and its RPCs reach
 * the backend that file names. Editing the file moves the RPCs.
 *
 * grpc-js-xds reads its bootstrap (GRPC_XDS_BOOTSTRAP_CONFIG) once per
 * process, lazily, when the first xds: channel resolves, and keeps one xDS
 * client per process. So the whole scenario lives in this one file (node
 * --test runs each file in its own process) and its steps run in order on one
 * channel, each step starting from the state the previous one left.
 *
 * Debugging: `XDS_E2E_LOG=debug` prints the server's logs to stderr;
 * `GRPC_TRACE=xds_client,xds_resolver,xds_cluster_manager GRPC_VERBOSITY=DEBUG`
 * shows what grpc-js-xds sent, received, accepted or NACKed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import pino from 'pino';
import { createXdsServer } from '../../src/index';
import type { XdsServer } from '../../src/index';
import { callWhoAmI, startEchoBackend, type CallOutcome, type EchoBackend } from './grpc-xds-echo';
import { meshConfig, type MeshSpec } from './grpc-xds-mesh';

/** Upper bound for the client to follow a change; generous for a loaded 2-core CI box. */
const CONVERGE_TIMEOUT_MS = 10_000;
/** Per-RPC deadline while polling. */
const RPC_DEADLINE_MS = 2_000;
/** Pause between polling RPCs that failed or hit the wrong backend. */
const POLL_INTERVAL_MS = 50;
/** Consecutive RPCs that must reach the expected backend before a step counts as converged. */
const STABLE_CALLS = 5;
/** Server-side debounce of config file changes. */
const RELOAD_DEBOUNCE_MS = 50;
/** How long a bad file is given to be (wrongly) applied before checking it was not. */
const BAD_FILE_SETTLE_MS = 20 * RELOAD_DEBOUNCE_MS;
/** Bound for each step, so a broken server fails the test instead of hanging it. */
const STEP_TIMEOUT_MS = 30_000;

const TARGET = 'xds:///echo.test';
const LISTENER_NAME = 'echo.test';
const ROUTE_NAME = 'echo-route';
const CLUSTER_1 = 'echo-cluster';
const CLUSTER_2 = 'echo-cluster-2';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describeOutcome(outcome: CallOutcome): string {
  return 'backend' in outcome ? outcome.backend : outcome.error;
}

/**
 * Calls until STABLE_CALLS calls in a row reach `expected`, or fails after
 * CONVERGE_TIMEOUT_MS listing the last outcomes (errors included), so a failure
 * says whether the client had no config, the wrong backend, or no connection.
 */
async function assertConvergesTo(client: grpc.Client, expected: string): Promise<void> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  const recent: string[] = [];
  let streak = 0;
  while (Date.now() < deadline) {
    const outcome = await callWhoAmI(client, RPC_DEADLINE_MS);
    recent.push(describeOutcome(outcome));
    if (recent.length > 10) recent.shift();
    if ('backend' in outcome && outcome.backend === expected) {
      streak += 1;
      if (streak >= STABLE_CALLS) return;
      continue;
    }
    streak = 0;
    await sleep(POLL_INTERVAL_MS);
  }
  assert.fail(`RPCs did not settle on backend ${expected} within ${CONVERGE_TIMEOUT_MS} ms; last outcomes: ${recent.join(' | ')}`);
}

/** Makes `count` calls and asserts every one reached `expected`. */
async function assertAllReach(client: grpc.Client, expected: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const outcome = await callWhoAmI(client, RPC_DEADLINE_MS);
    assert.deepEqual(outcome, { backend: expected }, `call ${i + 1} of ${count}`);
  }
}

describe('a grpc-js-xds channel served by our server from a config file', () => {
  let dir = '';
  let configPath = '';
  const backends = new Map<string, EchoBackend>();
  let server: XdsServer | undefined;
  let client: grpc.Client | undefined;

  const portOf = (id: string): number => {
    const backend = backends.get(id);
    assert.ok(backend, `backend ${id} started`);
    return backend.port;
  };
  const mesh = (routeWeights: Record<string, number>, clusters: Record<string, string>): MeshSpec => ({
    listenerName: LISTENER_NAME,
    routeName: ROUTE_NAME,
    routeWeights,
    clusters: Object.fromEntries(Object.entries(clusters).map(([cluster, id]) => [cluster, portOf(id)])),
  });
  const channel = (): grpc.Client => {
    assert.ok(client, 'client created');
    return client;
  };

  before(async () => {
    for (const id of ['A', 'B', 'C']) backends.set(id, await startEchoBackend(id));
    dir = mkdtempSync(join(tmpdir(), 'fanout-xds-e2e-'));
    configPath = join(dir, 'mesh.json');
    writeFileSync(configPath, JSON.stringify(meshConfig(mesh({ [CLUSTER_1]: 1 }, { [CLUSTER_1]: 'A' })), null, 2));

    const level = process.env['XDS_E2E_LOG'];
    const started = await createXdsServer({
      port: 0,
      host: '127.0.0.1',
      workers: 1,
      configPath,
      reloadDebounceMs: RELOAD_DEBOUNCE_MS,
      ...(level ? { logger: pino({ level }, pino.destination(2)) } : {}),
    });
    server = started;

    // Read lazily by grpc-js-xds when the first xds: channel resolves, then cached for the process.
    // GRPC_XDS_BOOTSTRAP (a file path) would take precedence, so an inherited one is dropped.
    delete process.env['GRPC_XDS_BOOTSTRAP'];
    process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${started.port}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'e2e-node', locality: {} },
    });
    grpcXds.register();
    client = new grpc.Client(TARGET, grpc.credentials.createInsecure());
  });

  after(async () => {
    // The last step closes the channel; this is for runs where an earlier step failed.
    client?.close();
    await server?.stop();
    for (const backend of backends.values()) backend.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends RPCs to the backend in the served ClusterLoadAssignment, over one SotW ADS stream, with no NACK', { timeout: STEP_TIMEOUT_MS }, async () => {
    await assertConvergesTo(channel(), 'A');
    await assertAllReach(channel(), 'A', 10);
    assert.ok(server);
    const stats = server.stats();
    assert.equal(stats.streams.sotw, 1, 'grpc-js-xds speaks SotW ADS on one stream');
    assert.equal(stats.streams.delta, 0);
    assert.equal(stats.nacks, 0, 'grpc-js-xds accepted every resource');
  });

  it('moves RPCs to another backend when the endpoints in the config file change', { timeout: STEP_TIMEOUT_MS }, async () => {
    // Rewritten in place, as `echo ... > file` or most editors do.
    writeFileSync(configPath, JSON.stringify(meshConfig(mesh({ [CLUSTER_1]: 1 }, { [CLUSTER_1]: 'B' })), null, 2));
    await assertConvergesTo(channel(), 'B');
    await assertAllReach(channel(), 'B', 10);
    assert.equal(server?.stats().nacks, 0);
  });

  it('moves RPCs to a new cluster when the route shifts its weight there, with the file replaced by a rename', { timeout: STEP_TIMEOUT_MS }, async () => {
    // The old cluster stays in the route at weight 0 rather than leaving it: grpc-js-xds 1.14
    // destroys a dropped cluster's priority child without clearing its 10 s failover timer
    // (load-balancer-priority.js, PriorityChildImpl.destroy), which would hold this process
    // open for 10 s after the last test. Traffic still moves entirely, and the client must still
    // fetch the new Cluster and ClusterLoadAssignment by name after the RouteConfiguration.
    // Replaced atomically (write a sibling, rename over), as vim, kubectl and config tools do.
    const staged = `${configPath}.tmp`;
    const routeWeights = { [CLUSTER_1]: 0, [CLUSTER_2]: 1 };
    writeFileSync(staged, JSON.stringify(meshConfig(mesh(routeWeights, { [CLUSTER_1]: 'B', [CLUSTER_2]: 'C' })), null, 2));
    renameSync(staged, configPath);
    await assertConvergesTo(channel(), 'C');
    await assertAllReach(channel(), 'C', 10);
    assert.equal(server?.stats().nacks, 0);
  });

  it('keeps RPCs flowing on the last good config when the file stops parsing', { timeout: STEP_TIMEOUT_MS }, async () => {
    const revisionBefore = server?.stats().revision;
    writeFileSync(configPath, '{"resources": [ this is not JSON');
    await sleep(BAD_FILE_SETTLE_MS);
    await assertAllReach(channel(), 'C', 10);
    assert.equal(server?.stats().revision, revisionBefore, 'a bad file yields no new revision');
    assert.equal(server?.stats().nacks, 0);
  });

  it('ends the ADS stream when the closed channel unsubscribes everything and half-closes', { timeout: STEP_TIMEOUT_MS }, async () => {
    // grpc-js-xds sends an empty name list per type, then half-closes; the server must end the
    // stream (docs/protocol.md F36) rather than wait for stop().
    channel().close();
    client = undefined;
    const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
    while ((server?.stats().streams.sotw ?? 0) > 0 && Date.now() < deadline) await sleep(POLL_INTERVAL_MS);
    assert.equal(server?.stats().streams.sotw, 0, 'no SotW stream left open');
    assert.equal(server?.stats().nacks, 0);
  });
});

/**
 * @module test/fault/restart.test
 * The server process dies under connected nodes (SIGKILL) and comes back on
 * the same port with a slightly different config. Every node reconnects
 * and reconverges; delta nodes reconnect with `initial_resource_versions`
 * and, because versions are content hashes that survive the restart, get
 * only what changed while the server was down (docs/protocol.md C22).
 * When nothing changed while it was down, no node of either variant is sent
 * anything it holds: SotW versions name the whole state, partial EDS
 * updates included, and survive the restart too (B15).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ResourceJson } from '../../src/api-types';
import { AdsClient } from '../helpers/ads-client';
import type { Received, Variant } from '../helpers/ads-client';
import { endpointPort } from '../helpers/inspect';
import { cla, cluster, delay } from '../helpers/server';
import { T } from '../helpers/service-paths';
import { httpGet } from '../helpers/admin-scrape';
import { CliProcess } from '../helpers/cli-process';
import { NODE_CHANNEL_OPTIONS } from '../helpers/raw-stream';
import { portOutsideEphemeralRange } from '../helpers/stable-port';

const NODES_PER_VARIANT = 10;
const CLUSTERS = 40;
const CONVERGE_DEADLINE_MS = 30_000;
/** With nothing to change, how long after the last resume a node must stay unanswered. */
const QUIET_AFTER_RESUME_MS = 1_500;
const BASE_PORT = 20_000;

/** Config: cluster i (EDS) with a CLA whose one endpoint listens on `ports[i]`. */
type Config = ReadonlyMap<string, number>;

function configV1(): Config {
  return new Map(Array.from({ length: CLUSTERS }, (_, i) => [`rc-${i}`, BASE_PORT + i] as const));
}

/** While down: three endpoint changes, one cluster removed, one added. */
const CHANGED = ['rc-1', 'rc-2', 'rc-3'];
const REMOVED = 'rc-4';
const ADDED = `rc-${CLUSTERS}`;

function configV2(): Config {
  const m = new Map(configV1());
  for (const n of CHANGED) m.set(n, (m.get(n) ?? 0) + 1000);
  m.delete(REMOVED);
  m.set(ADDED, BASE_PORT + CLUSTERS);
  return m;
}

/** Before the crash of the unchanged-config case: one endpoint changes, so SotW nodes hold a partial EDS response. */
function configV1Updated(): Config {
  const m = new Map(configV1());
  m.set('rc-5', BASE_PORT + 5 + 2000);
  return m;
}

function writeConfig(file: string, config: Config): void {
  const resources: ResourceJson[] = [];
  for (const [name, port] of config) resources.push(cluster(name, { eds: true }), cla(name, [port]));
  fs.writeFileSync(file, JSON.stringify({ resources }));
}

/** One simulated Envoy: CDS wildcard, EDS for every cluster it knows, ACKing everything. */
class Node {
  readonly id: string;
  readonly variant: Variant;
  client: AdsClient | undefined;
  readonly clusters = new Set<string>();
  readonly endpoints = new Map<string, unknown>();
  /** Delta: name → version held, per type, across reconnects. */
  readonly held = { [T.CLUSTER]: new Map<string, string>(), [T.ENDPOINT]: new Map<string, string>() } as Record<string, Map<string, string>>;
  /** SotW: last accepted version_info per type. */
  readonly accepted = new Map<string, string>();
  readonly edsNames = new Set<string>();

  constructor(id: string, variant: Variant) {
    this.id = id;
    this.variant = variant;
  }

  async connect(port: number): Promise<AdsClient> {
    this.client = await AdsClient.connect(port, { variant: this.variant, node: { id: this.id }, channelOptions: NODE_CHANNEL_OPTIONS });
    return this.client;
  }

  /** First connection: legacy wildcard CDS; EDS follows from the CDS answer. */
  startFresh(): void {
    this.client?.subscribe(T.CLUSTER, []);
  }

  /** Reconnect as Envoy does (rule E30): one request per type, what it holds, no nonce. */
  resume(): void {
    const c = this.client;
    if (!c) throw new Error('not connected');
    const names = [...this.edsNames];
    if (this.variant === 'delta') {
      c.send({ typeUrl: T.CLUSTER, initialResourceVersions: Object.fromEntries(this.held[T.CLUSTER] ?? []) });
      c.send({ typeUrl: T.ENDPOINT, resourceNamesSubscribe: names, initialResourceVersions: Object.fromEntries(this.held[T.ENDPOINT] ?? []) });
    } else {
      c.send({ typeUrl: T.CLUSTER, resourceNames: [], versionInfo: this.accepted.get(T.CLUSTER) ?? '' });
      c.send({ typeUrl: T.ENDPOINT, resourceNames: names, versionInfo: this.accepted.get(T.ENDPOINT) ?? '' });
    }
  }

  matches(expected: Config): boolean {
    if (this.clusters.size !== expected.size || this.endpoints.size !== expected.size) return false;
    for (const [name, port] of expected) if (!this.clusters.has(name) || this.endpoints.get(name) !== port) return false;
    return true;
  }

  /** Read, ACK and apply whatever has arrived. */
  takeQueued(): Received[] {
    const read = this.client?.drain() ?? [];
    for (const r of read) {
      this.client?.ack(r);
      this.#apply(r);
    }
    return read;
  }

  /** Read, ACK and apply responses until the node holds `expected`. Returns the responses it read. */
  async converge(expected: Config, deadline: number): Promise<Received[]> {
    const c = this.client;
    if (!c) throw new Error('not connected');
    const read: Received[] = [];
    while (!this.matches(expected)) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`node ${this.id} did not converge: ${this.clusters.size} clusters, ${this.endpoints.size} endpoints`);
      const r = await c.next(undefined, { timeoutMs: left });
      read.push(r);
      c.ack(r);
      this.#apply(r);
    }
    return read;
  }

  #apply(r: Received): void {
    const c = this.client;
    if (!c) return;
    if (this.variant === 'sotw') this.accepted.set(r.typeUrl, r.versionInfo);
    const held = this.held[r.typeUrl];
    for (const res of r.resources) if (res.version) held?.set(res.name, res.version);
    for (const n of r.removed) held?.delete(n);
    if (r.typeUrl === T.CLUSTER) {
      if (this.variant === 'sotw') this.clusters.clear();
      for (const n of r.names) this.clusters.add(n);
      for (const n of r.removed) this.clusters.delete(n);
      const add = [...this.clusters].filter((n) => !this.edsNames.has(n));
      const drop = [...this.edsNames].filter((n) => !this.clusters.has(n));
      for (const n of add) this.edsNames.add(n);
      for (const n of drop) {
        this.edsNames.delete(n);
        this.endpoints.delete(n);
        this.held[T.ENDPOINT]?.delete(n);
      }
      if (add.length > 0) c.subscribe(T.ENDPOINT, add);
      if (drop.length > 0) c.unsubscribe(T.ENDPOINT, drop);
    } else if (r.typeUrl === T.ENDPOINT) {
      for (const res of r.resources) this.endpoints.set(res.name, endpointPort(res.body));
      for (const n of r.removed) this.endpoints.delete(n);
    }
  }
}

/**
 * Crash the server under connected nodes, change the config, restart it on
 * the same port; nodes reconnect at once (`duringStartup`) or only once the
 * new process says it is ready.
 */
async function crashAndRestart(duringStartup: boolean): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-restart-'));
  const file = path.join(dir, 'config.json');
  writeConfig(file, configV1());
  const args = serverArgs(file);
  const nodes = makeNodes();
  let first: CliProcess | undefined;
  let second: CliProcess | undefined;
  try {
    first = await startOnStablePort(args);
    const port = first.grpcPort;
    await connectAndConverge(nodes, port, configV1());
    const killedAt = performance.now();
    await crash(first, nodes);
    const heldBefore = new Map(nodes.map((n) => [n, { cds: new Map(n.held[T.CLUSTER]), eds: new Map(n.held[T.ENDPOINT]) }]));

    writeConfig(file, configV2());
    const reconverge = (): Promise<Received[][]> =>
      Promise.all(
        nodes.map(async (n) => {
          await reconnect(n, port, killedAt + CONVERGE_DEADLINE_MS);
          n.resume();
          return n.converge(configV2(), performance.now() + CONVERGE_DEADLINE_MS);
        }),
      );
    let after: Received[][];
    let readyAt: number;
    if (duringStartup) {
      // As a real fleet does: reconnect attempts start at once, while the new process is still starting.
      const reconverging = reconverge();
      second = await CliProcess.start(args(port));
      readyAt = performance.now();
      after = await reconverging;
    } else {
      second = await CliProcess.start(args(port));
      readyAt = performance.now();
      after = await reconverge();
    }
    const convergedAt = performance.now();

    const dump = JSON.parse((await httpGet(second.adminPort ?? 0, '/config_dump')).body) as { resources: { type: string; name: string; version: string }[] };
    const served = new Map(dump.resources.map((r) => [`${r.type} ${r.name}`, r.version]));
    const v2Clusters = [...configV2().keys()].sort();
    let deltaBytes = 0;
    let sotwBytes = 0;
    nodes.forEach((n, i) => {
      const responses = after[i] ?? [];
      const bytes = responses.reduce((s, r) => s + r.bytes, 0);
      if (n.variant === 'sotw') {
        sotwBytes += bytes;
        // CDS is full state in SotW: any CDS response short of the whole config deletes clusters on an Envoy.
        for (const r of responses.filter((x) => x.typeUrl === T.CLUSTER)) {
          const listed = new Set(r.names);
          const missing = v2Clusters.filter((c) => !listed.has(c));
          assert.ok(
            missing.length === 0 && listed.size === v2Clusters.length,
            `${n.id}: CDS response #${r.index} after the restart (version "${r.versionInfo}") lists ${r.names.length} of ${v2Clusters.length} clusters: an Envoy would delete the ${missing.length} missing ones`,
          );
        }
        return;
      }
      // Delta: nothing the node already held, exactly the changes.
      deltaBytes += bytes;
      const before = heldBefore.get(n);
      const got = (type: string): string[] =>
        responses
          .filter((r) => r.typeUrl === type)
          .flatMap((r) => r.names)
          .sort();
      const removed = (type: string): string[] =>
        responses
          .filter((r) => r.typeUrl === type)
          .flatMap((r) => r.removed)
          .sort();
      assert.deepEqual(removed(T.CLUSTER), [REMOVED], `${n.id}: clusters removed after the restart`);
      // The node unsubscribes the removed cluster's endpoints as soon as CDS says it is gone; when that
      // request reaches the server before the EDS answer is flushed (requests are coalesced), the
      // removal is moot and need not be reported.
      assert.ok(
        removed(T.ENDPOINT).every((name) => name === REMOVED),
        `${n.id}: endpoints removed after the restart: ${removed(T.ENDPOINT).join(', ')}`,
      );
      for (const r of responses) {
        const had = r.typeUrl === T.CLUSTER ? before?.cds : before?.eds;
        for (const res of r.resources) assert.notEqual(had?.get(res.name), res.version, `${n.id} was sent ${res.name} at a version it already held`);
      }
      assert.deepEqual(got(T.CLUSTER), [ADDED], `${n.id}: clusters sent after the restart`);
      assert.deepEqual(got(T.ENDPOINT), [...CHANGED, ADDED].sort(), `${n.id}: endpoints sent after the restart`);
      for (const [type, held] of Object.entries(n.held)) {
        for (const [name, version] of held) assert.equal(version, served.get(`${type} ${name}`), `${n.id} holds ${name} at the served version`);
      }
    });
    console.log(
      `[fault] restart (${duringStartup ? 'reconnecting during startup' : 'reconnecting once ready'}): ${nodes.length} nodes (${NODES_PER_VARIANT} SotW, ${NODES_PER_VARIANT} delta), ` +
        `${CLUSTERS} clusters + endpoints; reconverged ${(convergedAt - readyAt).toFixed(0)} ms after the new process was ready ` +
        `(${(convergedAt - killedAt).toFixed(0)} ms after the kill, process start included); ` +
        `bytes received after reconnect: delta ${Math.round(deltaBytes / NODES_PER_VARIANT)} B/node, SotW ${Math.round(sotwBytes / NODES_PER_VARIANT)} B/node`,
    );
  } finally {
    for (const n of nodes) n.client?.close();
    await first?.kill();
    await second?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The first server, on a port the restarted one can have again: one below
 * the ephemeral range (test/helpers/stable-port), where no connection made
 * while the server is down can take it. Another listener may win the port
 * between the check and the bind: then try another.
 */
async function startOnStablePort(args: (port: number) => string[]): Promise<CliProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await portOutsideEphemeralRange();
    try {
      return await CliProcess.start(args(port));
    } catch (err) {
      if (attempt >= 5 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

/** Server flags: `file`, on `port`. */
function serverArgs(file: string): (port: number) => string[] {
  return (port) => ['--config', file, '--port', String(port), '--host', '127.0.0.1', '--admin-port', '0', '--workers', '1'];
}

function makeNodes(): Node[] {
  return [
    ...Array.from({ length: NODES_PER_VARIANT }, (_, i) => new Node(`restart-sotw-${i}`, 'sotw')),
    ...Array.from({ length: NODES_PER_VARIANT }, (_, i) => new Node(`restart-delta-${i}`, 'delta')),
  ];
}

/** First connection of every node, until each holds `expected`. */
async function connectAndConverge(nodes: readonly Node[], port: number, expected: Config): Promise<void> {
  await Promise.all(
    nodes.map(async (n) => {
      await n.connect(port);
      n.startFresh();
      await n.converge(expected, performance.now() + CONVERGE_DEADLINE_MS);
    }),
  );
}

/** SIGKILL the server (no drain, no goodbye); every node sees its stream end UNAVAILABLE. */
async function crash(server: CliProcess, nodes: readonly Node[]): Promise<void> {
  server.signal('SIGKILL');
  await server.exited;
  const lost = await Promise.all(nodes.map((n) => n.client?.ended(10_000)));
  for (const st of lost) assert.equal(grpc.status[st?.code ?? -1], 'UNAVAILABLE', `a node saw "${st?.details}" when the server died`);
  for (const n of nodes) n.client?.close();
}

/**
 * One endpoint changes (SotW nodes accept a partial EDS response), the
 * server crashes and restarts on the same config while nodes reconnect:
 * every node holds the current config, so none may be sent a resource.
 */
async function crashAndRestartUnchanged(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-restart-'));
  const file = path.join(dir, 'config.json');
  writeConfig(file, configV1());
  const args = serverArgs(file);
  const nodes = makeNodes();
  let first: CliProcess | undefined;
  let second: CliProcess | undefined;
  try {
    first = await startOnStablePort(args);
    const port = first.grpcPort;
    await connectAndConverge(nodes, port, configV1());
    writeConfig(file, configV1Updated());
    const partial = await Promise.all(nodes.map((n) => n.converge(configV1Updated(), performance.now() + CONVERGE_DEADLINE_MS)));
    for (const [i, n] of nodes.entries()) {
      if (n.variant === 'sotw')
        assert.deepEqual(
          partial[i]?.flatMap((r) => r.names),
          ['rc-5'],
          `${n.id}: the endpoint change came alone`,
        );
    }
    const killedAt = performance.now();
    await crash(first, nodes);

    // Reconnect attempts start at once, while the new process is still loading its config.
    const resumed = Promise.all(
      nodes.map(async (n) => {
        await reconnect(n, port, killedAt + CONVERGE_DEADLINE_MS);
        n.resume();
      }),
    );
    second = await CliProcess.start(args(port));
    await resumed;
    await delay(QUIET_AFTER_RESUME_MS);
    let sotwBytes = 0;
    let deltaBytes = 0;
    for (const n of nodes) {
      const got = n.takeQueued();
      const bytes = got.reduce((sum, r) => sum + r.bytes, 0);
      if (n.variant === 'sotw') sotwBytes += bytes;
      else deltaBytes += bytes;
      const resent = got.flatMap((r) => r.names.map((name) => `${r.typeUrl.split('.').pop() ?? ''} ${name}`));
      assert.deepEqual(resent, [], `${n.id} (${n.variant}) was resent resources it held`);
      assert.ok(n.matches(configV1Updated()), `${n.id} still holds the current config`);
    }
    console.log(
      `[fault] restart on an unchanged config after a partial EDS update: ${nodes.length} nodes (${NODES_PER_VARIANT} SotW, ${NODES_PER_VARIANT} delta), ` +
        `${CLUSTERS} clusters + endpoints; bytes received after reconnect: delta ${Math.round(deltaBytes / NODES_PER_VARIANT)} B/node, SotW ${Math.round(sotwBytes / NODES_PER_VARIANT)} B/node`,
    );
  } finally {
    for (const n of nodes) n.client?.close();
    await first?.kill();
    await second?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('after a server crash and restart on the same port every node reconverges, and delta nodes get only what changed while it was down', async () => {
  await crashAndRestart(false);
});

test('nodes reconnecting while the restarted server is still starting are never told that their resources are gone', async () => {
  await crashAndRestart(true);
});

test('after a partial EDS update and a crash, nodes reconnecting to the server restarted on the same config are resent nothing they hold, SotW as delta', async () => {
  await crashAndRestartUnchanged();
});

/** Reconnect with backoff until the new process accepts the connection. */
async function reconnect(n: Node, port: number, deadline: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await n.connect(port);
      return;
    } catch (err) {
      if (performance.now() > deadline) throw new Error(`${n.id} could not reconnect: ${(err as Error).message}`);
      await delay(Math.min(1_000, 50 * 2 ** attempt));
    }
  }
}

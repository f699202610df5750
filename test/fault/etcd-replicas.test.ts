/**
 * Replicas: several server processes (the real CLI, `main.js --etcd-endpoints
 * …`) on one real etcd, with nodes on each. They agree without talking to
 * each other (DESIGN.md "Beyond one process"): the same revisions, the same
 * validation, the same content hashes. So one `fanout-xds apply` reaches the
 * nodes of every replica; a node that moves to another replica with the
 * versions it holds is resent nothing (delta through
 * `initial_resource_versions`, SotW through `version_info`, rules C22 and
 * B15); a bad revision is rejected by every replica alike; and a replica
 * that lost etcd (etcd down, or a partition between it and etcd while etcd
 * compacts) catches up to exactly what the others serve.
 *
 * etcd-source.test.ts covers one server in the test's own process; here
 * every replica is its own process, so nothing process-local (module
 * state, start time, counters, random seeds) can make two replicas agree by
 * accident.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { etcdLayout, resourceKey } from '../../src/source/etcd-keys';
import { DEFAULT_GROUP } from '../../src/source/raw-resource';
import type { ResourceJson } from '../../src/api-types';
import { AdsClient } from '../helpers/ads-client';
import type { Received, Variant } from '../helpers/ads-client';
import { Etcd3 } from 'etcd3';
import { TestEtcd, etcdTxn } from '../helpers/etcd';
import { runFanout } from '../helpers/fanout-cli';
import { endpointPort } from '../helpers/inspect';
import { cla, cluster, listener, route } from '../helpers/resources';
import { T } from '../helpers/service-paths';
import { httpGet, metricValue, parseMetrics } from '../helpers/admin-scrape';
import { CliProcess } from '../helpers/cli-process';
import { NODE_CHANNEL_OPTIONS } from '../helpers/raw-stream';
import { TcpRelay } from '../helpers/tcp-relay';

const PREFIX = '/replicas/';
const layout = etcdLayout(PREFIX);
const SERVICES = 6;
const CONVERGE_MS = 10_000;
/** With nothing to send, how long a moved node must stay unanswered. */
const QUIET_MS = 1_500;
/** The bound: a change written once etcd is back reaches every node within about 5 s. */
const CATCH_UP_MS = 5_000;
/** Start-up of a replica (etcd3's protos, an encode worker) on a machine shared with other jobs. */
const READY_TIMEOUT_MS = 60_000;
/** A hung step fails its test instead of the whole run (each test takes seconds on an idle machine). */
const TEST_TIMEOUT_MS = 180_000;
const TYPES = [T.CLUSTER, T.ENDPOINT, T.LISTENER, T.ROUTE] as const;
/** Types whose SotW responses carry the whole state (others carry what changed). */
const FULL_STATE_SOTW = new Set<string>([T.CLUSTER, T.LISTENER]);

/** One configuration generation; only `svc-1`'s endpoint and the canary group's `svc-0` endpoint follow `gen`. */
interface Mesh {
  readonly gen: number;
  /** An extra cluster (with its endpoints) present in this generation. */
  readonly extra?: boolean;
}

const services = (m: Mesh): string[] => [...Array.from({ length: SERVICES }, (_, i) => `svc-${i}`), ...(m.extra ? ['svc-extra'] : [])];
const portOf = (m: Mesh, service: string, canary: boolean): number => {
  if (service === 'svc-1') return 9000 + m.gen;
  if (service === 'svc-0' && canary) return 7000 + m.gen;
  return service === 'svc-extra' ? 8999 : 8000 + Number(service.slice(4));
};

/** The mesh as a config file holds it: EDS clusters (one with metadata maps), endpoints, a listener and its routes, a node group. */
function meshConfig(m: Mesh): Record<string, unknown> {
  const resources: ResourceJson[] = [];
  for (const s of services(m)) {
    const c = cluster(s, { eds: true });
    // Map fields (Struct) whose key order must never reach the encoding.
    resources.push(s === 'svc-0' ? { ...c, metadata: { filter_metadata: { 'z.team': { owner: 'mesh', tier: 1 }, 'a.env': { name: 'prod', zones: ['b', 'a'] } } } } : c);
    resources.push(cla(s, [portOf(m, s, false)]));
  }
  resources.push(listener('ingress', 'routes'), route('routes', 'svc-0'));
  return {
    resources,
    node_groups: [{ name: 'canary', match: { id: 'canary-.*' }, resources: [cla('svc-0', [portOf(m, 'svc-0', true)])] }],
  };
}

/** A fresh directory for config files; removed by the test. */
function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-replicas-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `fanout-xds apply FILE --prune` of generation `m` (the real CLI); resolves to the revision it wrote. */
async function apply(etcd: TestEtcd, dir: string, m: Mesh): Promise<number> {
  const file = path.join(dir, `mesh-${m.gen}${m.extra ? '-extra' : ''}.json`);
  fs.writeFileSync(file, JSON.stringify(meshConfig(m)));
  const run = await runFanout(['apply', file, '--prune', '--output', 'json', '--etcd-endpoints', etcd.endpoint, '--etcd-prefix', PREFIX]);
  assert.equal(run.code, 0, `apply failed: ${run.stderr}`);
  return Number((JSON.parse(run.stdout) as { revision: number }).revision);
}

/** A replica: the server CLI on etcd (through `endpoint` when it must not be etcd's own). */
function startReplica(endpoint: string): Promise<CliProcess> {
  return CliProcess.start(['--etcd-endpoints', endpoint, '--etcd-prefix', PREFIX, '--port', '0', '--host', '127.0.0.1', '--admin-port', '0', '--workers', '1'], { readyTimeoutMs: READY_TIMEOUT_MS });
}

/** Start replicas side by side; if one fails to start, the others are killed before the error is thrown. */
async function startReplicas(...endpoints: string[]): Promise<CliProcess[]> {
  const started = await Promise.allSettled(endpoints.map(startReplica));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const replicas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failed) {
    for (const r of replicas) await r.kill();
    throw failed.reason;
  }
  return replicas;
}

async function metrics(replica: CliProcess): Promise<ReturnType<typeof parseMetrics>> {
  return parseMetrics((await httpGet(replica.adminPort ?? 0, '/metrics')).body);
}

async function readyz(replica: CliProcess): Promise<number> {
  return (await httpGet(replica.adminPort ?? 0, '/readyz')).status;
}

async function waitFor(what: string, timeoutMs: number, cond: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function waitApplied(replica: CliProcess, revision: number, timeoutMs = CONVERGE_MS): Promise<void> {
  return waitFor(`replica on port ${replica.grpcPort} to apply revision ${revision}`, timeoutMs, async () => metricValue(await metrics(replica), 'xds_etcd_config_revision') >= revision);
}

/** What a node holds of one resource. */
interface Held {
  readonly version: string | undefined;
  readonly bytes: string;
  readonly body: Record<string, unknown> | undefined;
}

/**
 * An Envoy-like node: CDS and LDS wildcard, EDS and RDS by name, every
 * response applied and ACKed. It keeps what it holds (bytes and, for delta,
 * versions; for SotW, the last accepted `version_info` per type) across
 * reconnects, and resumes on a new stream the way Envoy does (rule E30):
 * one request per type saying what it holds, no nonce.
 */
class Node {
  readonly id: string;
  readonly variant: Variant;
  readonly held = new Map<string, Map<string, Held>>(TYPES.map((t) => [t, new Map<string, Held>()]));
  readonly accepted = new Map<string, string>();
  client: AdsClient | undefined;
  /** Responses read on the current stream. */
  read: Received[] = [];
  #edsNames: string[] = [];

  constructor(id: string, variant: Variant) {
    this.id = id;
    this.variant = variant;
  }

  get canary(): boolean {
    return this.id.startsWith('canary-');
  }

  /** Open a stream to `port`: fresh subscriptions, or (`resume`) what the node holds. */
  async connect(port: number, mode: 'fresh' | 'resume'): Promise<void> {
    this.client?.close();
    const c = await AdsClient.connect(port, { variant: this.variant, node: { id: this.id, cluster: 'mesh' }, channelOptions: NODE_CHANNEL_OPTIONS });
    this.client = c;
    this.read = [];
    // As Envoy: EDS for the clusters it holds (none yet on a fresh start; added as CDS arrives).
    this.#edsNames = mode === 'fresh' ? [] : [...(this.held.get(T.CLUSTER)?.keys() ?? [])];
    for (const typeUrl of TYPES) {
      const names = typeUrl === T.ENDPOINT ? this.#edsNames : typeUrl === T.ROUTE ? ['routes'] : [];
      if (mode === 'fresh') {
        if (typeUrl !== T.ENDPOINT) c.subscribe(typeUrl, names);
      } else if (this.variant === 'delta') {
        const versions = Object.fromEntries([...(this.held.get(typeUrl) ?? [])].map(([n, h]) => [n, h.version ?? '']));
        c.send({ typeUrl, resourceNamesSubscribe: names, initialResourceVersions: versions });
      } else {
        c.send({ typeUrl, resourceNames: names, versionInfo: this.accepted.get(typeUrl) ?? '' });
      }
    }
  }

  /** Read, apply and ACK responses until the node holds generation `m`. */
  async converge(m: Mesh, timeoutMs = CONVERGE_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.holds(m)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`node ${this.id} (${this.variant}) did not reach generation ${m.gen}: ${JSON.stringify(this.summary())}`);
      let r: Received;
      try {
        r = await this.#stream().next(undefined, { timeoutMs: left });
      } catch (err) {
        throw new Error(`node ${this.id} (${this.variant}) did not reach generation ${m.gen}: ${(err as Error).message}`);
      }
      this.#take(r);
    }
  }

  /** Read, apply and ACK whatever has arrived. */
  takeQueued(): Received[] {
    const got = this.#stream().drain();
    for (const r of got) this.#take(r);
    return got;
  }

  /** Whether the node holds exactly generation `m`. */
  holds(m: Mesh): boolean {
    const want = services(m);
    const clusters = this.held.get(T.CLUSTER) as Map<string, Held>;
    const endpoints = this.held.get(T.ENDPOINT) as Map<string, Held>;
    if (clusters.size !== want.length || endpoints.size !== want.length) return false;
    if (!this.held.get(T.LISTENER)?.has('ingress') || !this.held.get(T.ROUTE)?.has('routes')) return false;
    return want.every((s) => clusters.has(s) && endpointPort(endpoints.get(s)?.body) === portOf(m, s, this.canary));
  }

  /** Names per type, for failure messages. */
  summary(): Record<string, string[]> {
    return Object.fromEntries([...this.held].map(([t, m]) => [t.slice(t.lastIndexOf('.') + 1), [...m.keys()].sort()]));
  }

  /** Everything held, as comparable data: type → name → bytes (and version for delta). */
  snapshot(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [t, m] of this.held) out[t] = Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([n, h]) => [n, `${h.version ?? ''} ${h.bytes}`]));
    return out;
  }

  close(): void {
    this.client?.close();
  }

  #stream(): AdsClient {
    if (!this.client) throw new Error(`node ${this.id} is not connected`);
    return this.client;
  }

  #take(r: Received): void {
    this.read.push(r);
    const map = this.held.get(r.typeUrl);
    if (!map) throw new Error(`node ${this.id} got a type it never asked for: ${r.typeUrl}`);
    if (this.variant === 'sotw' && FULL_STATE_SOTW.has(r.typeUrl)) map.clear();
    for (const res of r.resources) map.set(res.name, { version: res.version, bytes: Buffer.from(res.bodyBytes ?? []).toString('base64'), body: res.body });
    for (const name of r.removed) map.delete(name);
    if (this.variant === 'sotw') this.accepted.set(r.typeUrl, r.versionInfo);
    const c = this.#stream();
    c.ack(r);
    if (r.typeUrl === T.CLUSTER) this.#followClusters(c);
  }

  /** Subscribe EDS to exactly the clusters held, as Envoy does after applying CDS. */
  #followClusters(c: AdsClient): void {
    const now = [...(this.held.get(T.CLUSTER)?.keys() ?? [])].sort();
    const added = now.filter((n) => !this.#edsNames.includes(n));
    const removed = this.#edsNames.filter((n) => !now.includes(n));
    if (added.length === 0 && removed.length === 0) return;
    if (this.variant === 'sotw') c.requestNames(T.ENDPOINT, now);
    else c.send({ typeUrl: T.ENDPOINT, resourceNamesSubscribe: added, resourceNamesUnsubscribe: removed });
    for (const n of removed) this.held.get(T.ENDPOINT)?.delete(n);
    this.#edsNames = now;
  }
}

/** A delta and a SotW node, plus a canary of each, for one replica. */
function nodesFor(replica: string): Node[] {
  return [new Node(`${replica}-delta`, 'delta'), new Node(`${replica}-sotw`, 'sotw'), new Node(`canary-${replica}-delta`, 'delta'), new Node(`canary-${replica}-sotw`, 'sotw')];
}

/** The nodes' view without the replica's name in it: same variant and group must hold the same bytes and versions. */
function byKind(nodes: readonly Node[]): Map<string, ReturnType<Node['snapshot']>> {
  return new Map(nodes.map((n) => [`${n.canary ? 'canary' : 'default'}/${n.variant}`, n.snapshot()]));
}

function assertSameAcrossReplicas(a: readonly Node[], b: readonly Node[]): void {
  const [sa, sb] = [byKind(a), byKind(b)];
  assert.deepEqual([...sa.keys()].sort(), [...sb.keys()].sort());
  for (const [kind, snap] of sa) assert.deepEqual(sb.get(kind), snap, `${kind} nodes hold the same bytes and versions on both replicas`);
  for (const variant of ['sotw'] as const) {
    for (const canary of [false, true]) {
      const [na, nb] = [a, b].map((ns) => ns.find((n) => n.variant === variant && n.canary === canary) as Node);
      assert.deepEqual(Object.fromEntries(nb?.accepted ?? []), Object.fromEntries(na?.accepted ?? []), `SotW version_info agrees (${canary ? 'canary' : 'default'} group)`);
    }
  }
}

async function stopAll(replicas: readonly (CliProcess | undefined)[], nodes: readonly Node[], etcd: TestEtcd | undefined): Promise<void> {
  for (const n of nodes) n.close();
  for (const r of replicas) {
    if (process.env['DEBUG_REPLICAS'] && r) fs.writeFileSync(`/tmp/replica-${r.grpcPort}.log`, r.logs.map((l) => JSON.stringify(l)).join('\n'));
    r?.signal('SIGCONT');
    await r?.kill();
  }
  await etcd?.destroy();
}

test('two replicas on one etcd serve their nodes one apply, with the same bytes and versions', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = tempDir(t);
  const etcd = await TestEtcd.start();
  const replicas: CliProcess[] = [];
  const [onA, onB] = [nodesFor('a'), nodesFor('b')];
  try {
    await apply(etcd, dir, { gen: 0 });
    replicas.push(...(await startReplicas(etcd.endpoint, etcd.endpoint)));
    const [a, b] = replicas as [CliProcess, CliProcess];
    for (const n of onA) await n.connect(a.grpcPort, 'fresh');
    for (const n of onB) await n.connect(b.grpcPort, 'fresh');
    for (const n of [...onA, ...onB]) await n.converge({ gen: 0 });
    assertSameAcrossReplicas(onA, onB);

    const next: Mesh = { gen: 1, extra: true };
    const revision = await apply(etcd, dir, next);
    for (const n of [...onA, ...onB]) await n.converge(next);
    await waitApplied(a, revision);
    await waitApplied(b, revision);
    assertSameAcrossReplicas(onA, onB);
    for (const n of [...onA, ...onB].filter((x) => x.variant === 'delta')) {
      // One apply, one revision, one update per type that changed: never a half-applied state.
      const updates = n.read.filter((r) => r.resources.some((res) => res.name === 'svc-extra'));
      assert.equal(updates.length, 2, `${n.id}: the new cluster and its endpoints arrive once each (CDS, EDS)`);
    }
    for (const n of [...onA, ...onB]) n.client?.assertNoViolations();
  } finally {
    await stopAll(replicas, [...onA, ...onB], etcd);
  }
});

test('nodes of a killed replica move to the other with their versions and are resent nothing, delta and SotW; then they get only what changes', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = tempDir(t);
  const etcd = await TestEtcd.start();
  const replicas: CliProcess[] = [];
  const moving = nodesFor('a');
  try {
    await apply(etcd, dir, { gen: 0 });
    replicas.push(...(await startReplicas(etcd.endpoint, etcd.endpoint)));
    const [a, b] = replicas as [CliProcess, CliProcess];
    for (const n of moving) await n.connect(a.grpcPort, 'fresh');
    for (const n of moving) await n.converge({ gen: 0 });
    // A partial change first: SotW nodes then hold an EDS state assembled from more than one response.
    const rev1 = await apply(etcd, dir, { gen: 1 });
    for (const n of moving) await n.converge({ gen: 1 });
    await waitApplied(b, rev1);

    await a.kill(); // failover: the replica dies under its nodes
    for (const n of moving) await n.connect(b.grpcPort, 'resume');
    await new Promise((r) => setTimeout(r, QUIET_MS));
    for (const n of moving) {
      const got = n.takeQueued();
      const resent = got.flatMap((r) => r.resources.map((res) => ({ typeUrl: r.typeUrl, res })));
      t.diagnostic(`${n.id}: ${got.length} responses, ${resent.length} resources after moving`);
      if (n.variant === 'delta') {
        assert.deepEqual(
          resent.map((x) => x.res.name),
          [],
          `${n.id}: initial_resource_versions matched, nothing resent`,
        );
        assert.deepEqual(
          got.flatMap((r) => r.removed),
          [],
          `${n.id}: nothing removed`,
        );
      } else {
        // SotW: no response at all, or only what the node already holds, byte for byte.
        for (const { typeUrl, res } of resent) {
          assert.equal(Buffer.from(res.bodyBytes ?? []).toString('base64'), n.held.get(typeUrl)?.get(res.name)?.bytes, `${n.id}: ${res.name} resent with different bytes`);
        }
        assert.equal(resent.length, 0, `${n.id}: version_info matched, nothing resent`);
      }
      assert.ok(n.holds({ gen: 1 }), `${n.id} still holds generation 1`);
    }

    // The moved streams are live: the next change arrives, and only what changed.
    await apply(etcd, dir, { gen: 2 });
    for (const n of moving) {
      n.read = [];
      await n.converge({ gen: 2 });
      const names = n.read.flatMap((r) => r.resources.map((res) => res.name));
      // Only svc-1 (and svc-0 for canaries) changed.
      const changed = n.canary ? ['svc-0', 'svc-1'] : ['svc-1'];
      if (n.variant === 'delta') assert.deepEqual([...names].sort(), changed, `${n.id}: only the changed endpoints`);
      else
        assert.ok(
          names.every((x) => changed.includes(x)),
          `${n.id}: only the changed endpoints (got ${names.join(',')})`,
        );
      n.client?.assertNoViolations();
    }
  } finally {
    await stopAll(replicas, moving, etcd);
  }
});

/** etcd key of a resource (default group unless given). */
function keyOf(typeUrl: string, name: string, group: string = DEFAULT_GROUP): string {
  return resourceKey(layout, { group, typeUrl, name });
}

test(
  'a bad revision written with etcdctl is rejected by both replicas, naming key and field, while the last good config is served; the next good revision is applied by both',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const dir = tempDir(t);
    const etcd = await TestEtcd.start();
    const replicas: CliProcess[] = [];
    const [onA, onB] = [nodesFor('a').slice(0, 2), nodesFor('b').slice(0, 2)];
    try {
      const good = await apply(etcd, dir, { gen: 0 });
      replicas.push(...(await startReplicas(etcd.endpoint, etcd.endpoint)));
      for (const n of onA) await n.connect(replicas[0]?.grpcPort ?? 0, 'fresh');
      for (const n of onB) await n.connect(replicas[1]?.grpcPort ?? 0, 'fresh');
      for (const n of [...onA, ...onB]) await n.converge({ gen: 0 });

      // The revision each replica serves before the bad write (its snapshot's, which may be a later status write than `good`).
      const servedBefore = await Promise.all(replicas.map(async (r) => metricValue(await metrics(r), 'xds_etcd_config_revision')));
      for (const served of servedBefore) assert.ok(served >= good, 'each replica serves the good apply');
      const badKey = keyOf(T.CLUSTER, 'bad');
      etcd.etcdctl('put', badKey, JSON.stringify({ ...cluster('bad'), connect_timeout: 'soon' }));
      for (const [i, r] of replicas.entries()) {
        await waitFor('the bad revision to be rejected', CONVERGE_MS, async () => metricValue(await metrics(r), 'xds_etcd_rejected_revisions_total') === 1);
        const line = await r.waitForLog((l) => l.msg === 'configuration rejected; still serving the last good configuration', 5_000);
        assert.match((line['problems'] as string[]).join('\n'), new RegExp(`^${badKey}: value \\(bad\\): connect_timeout: `, 'm'), 'the log names the key and the field');
        const samples = await metrics(r);
        assert.equal(metricValue(samples, 'xds_etcd_config_revision'), servedBefore[i], 'the configuration revision stays the last good one');
        assert.equal(await readyz(r), 200);
      }
      await new Promise((r) => setTimeout(r, 300));
      for (const n of [...onA, ...onB]) {
        assert.deepEqual(
          n.takeQueued().map((r) => r.typeUrl),
          [],
          `${n.id}: nothing sent for a rejected revision`,
        );
        assert.ok(n.holds({ gen: 0 }));
      }

      // `apply --prune` replaces the state, bad key included: the next revision validates on both replicas.
      const fixed = await apply(etcd, dir, { gen: 1 });
      for (const n of [...onA, ...onB]) await n.converge({ gen: 1 });
      for (const r of replicas) await waitApplied(r, fixed);
      assertSameAcrossReplicas(onA, onB);
      for (const r of replicas) assert.equal(metricValue(await metrics(r), 'xds_etcd_rejected_revisions_total'), 1, 'only the bad revision was rejected');
    } finally {
      await stopAll(replicas, [...onA, ...onB], etcd);
    }
  },
);

test(
  'etcd stopped and restarted under connected nodes: both replicas keep serving and stay ready, then catch up with a change written after the restart within about 5 s',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const dir = tempDir(t);
    const etcd = await TestEtcd.start();
    const replicas: CliProcess[] = [];
    const [onA, onB] = [nodesFor('a'), nodesFor('b')];
    const late = new Node('late-delta', 'delta');
    try {
      await apply(etcd, dir, { gen: 0 });
      replicas.push(...(await startReplicas(etcd.endpoint, etcd.endpoint)));
      const [a, b] = replicas as [CliProcess, CliProcess];
      for (const n of onA) await n.connect(a.grpcPort, 'fresh');
      for (const n of onB) await n.connect(b.grpcPort, 'fresh');
      for (const n of [...onA, ...onB]) await n.converge({ gen: 0 });

      await etcd.stop();
      for (const r of replicas) await waitFor('the replica to notice etcd is gone', CONVERGE_MS, async () => metricValue(await metrics(r), 'xds_etcd_connected') === 0);
      for (const r of replicas) assert.equal(await readyz(r), 200, '/readyz stays ready while etcd is down');
      // A node that arrives during the outage is served the last good configuration.
      await late.connect(b.grpcPort, 'fresh');
      await late.converge({ gen: 0 });
      await new Promise((r) => setTimeout(r, 3_000)); // several reconnect attempts, so a backoff has grown

      await etcd.resume();
      const back = Date.now();
      // The change of generation 1, as two raw puts in one transaction (not apply's canonical text: same content, same versions).
      const kv = new Etcd3({ hosts: etcd.endpoint });
      let revision: number;
      try {
        revision = await etcdTxn(kv, {
          put: {
            [keyOf(T.ENDPOINT, 'svc-1')]: JSON.stringify(cla('svc-1', [portOf({ gen: 1 }, 'svc-1', false)])),
            [keyOf(T.ENDPOINT, 'svc-0', 'canary')]: JSON.stringify(cla('svc-0', [portOf({ gen: 1 }, 'svc-0', true)])),
          },
        });
      } finally {
        kv.close();
      }
      for (const r of replicas) await waitApplied(r, revision, CATCH_UP_MS * 2);
      const caughtUpMs = Date.now() - back;
      t.diagnostic(`both replicas applied the change ${caughtUpMs} ms after etcd was healthy again`);
      assert.ok(caughtUpMs < CATCH_UP_MS, `replicas caught up ${caughtUpMs} ms after etcd was back; expected within ${CATCH_UP_MS} ms`);
      for (const n of [...onA, ...onB, late]) await n.converge({ gen: 1 });
      assertSameAcrossReplicas(onA, onB);
      for (const r of replicas) {
        const samples = await metrics(r);
        assert.equal(metricValue(samples, 'xds_etcd_connected'), 1);
        assert.ok(metricValue(samples, 'xds_etcd_watch_restarts_total', { reason: 'reconnect' }) >= 1, 'the reconnect is counted');
        assert.equal(await readyz(r), 200);
      }
      for (const n of [...onA, ...onB, late]) n.client?.assertNoViolations();
    } finally {
      await stopAll(replicas, [...onA, ...onB, late], etcd);
    }
  },
);

test('a replica cut off from etcd while etcd compacts past its revision re-reads a snapshot on reconnect and serves exactly what the other replica serves', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = tempDir(t);
  const etcd = await TestEtcd.start();
  const relay = await TcpRelay.start(etcd.clientPort);
  const replicas: CliProcess[] = [];
  const [onA, onB] = [nodesFor('a'), nodesFor('b')];
  try {
    t.after(() => relay.close());
    await apply(etcd, dir, { gen: 0 });
    // Replica B reaches etcd only through the relay: cutting it is a partition between B and etcd alone.
    replicas.push(...(await startReplicas(etcd.endpoint, `http://127.0.0.1:${relay.port}`)));
    const [a, b] = replicas as [CliProcess, CliProcess];
    for (const n of onA) await n.connect(a.grpcPort, 'fresh');
    for (const n of onB) await n.connect(b.grpcPort, 'fresh');
    for (const n of [...onA, ...onB]) await n.converge({ gen: 0 });

    relay.cut();
    await waitFor('B to notice it lost etcd', CONVERGE_MS, async () => metricValue(await metrics(b), 'xds_etcd_connected') === 0);
    await apply(etcd, dir, { gen: 1 });
    const last = await apply(etcd, dir, { gen: 2, extra: true });
    for (const n of onA) await n.converge({ gen: 2, extra: true });
    etcd.etcdctl('compact', String(last));
    assert.equal(await readyz(b), 200, 'B stays ready while cut off');
    for (const n of onB) {
      assert.deepEqual(
        n.takeQueued().map((r) => r.typeUrl),
        [],
        `${n.id}: nothing from B while it is cut off`,
      );
      assert.ok(n.holds({ gen: 0 }), `${n.id} keeps generation 0 while B is cut off`);
    }

    for (const n of onB) n.read = [];
    relay.restore();
    for (const n of onB) await n.converge({ gen: 2, extra: true });
    await waitApplied(b, last);
    await b.waitForLog((l) => l.msg === 'etcd compacted past the last revision received; re-reading a snapshot', 5_000);
    const [sa, sb] = [await metrics(a), await metrics(b)];
    assert.equal(metricValue(sb, 'xds_etcd_watch_restarts_total', { reason: 'resync' }), 1, 'B re-read one snapshot');
    assert.equal(metricValue(sa, 'xds_etcd_watch_restarts_total', { reason: 'resync' }), 0, 'A, never cut off, did not');
    assertSameAcrossReplicas(onA, onB);
    for (const n of onB.filter((x) => x.variant === 'delta')) {
      // The difference, not the whole configuration: generation 0 → 2 changes svc-1 (svc-0 for canaries) and adds svc-extra.
      const names = n.read.flatMap((r) => r.resources.map((res) => `${r.typeUrl.slice(r.typeUrl.lastIndexOf('.') + 1)}/${res.name}`)).sort();
      const expected = ['Cluster/svc-extra', 'ClusterLoadAssignment/svc-1', 'ClusterLoadAssignment/svc-extra', ...(n.canary ? ['ClusterLoadAssignment/svc-0'] : [])].sort();
      assert.deepEqual(names, expected, `${n.id}: only the difference arrives after the re-read`);
    }
    for (const n of [...onA, ...onB]) n.client?.assertNoViolations();
  } finally {
    await stopAll(replicas, [...onA, ...onB], etcd);
  }
});

test('nodes that reach a replica before its first snapshot is loaded are matched to their node group once it loads', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = tempDir(t);
  const etcd = await TestEtcd.start();
  let replica: CliProcess | undefined;
  const early = [new Node('canary-early-delta', 'delta'), new Node('canary-early-sotw', 'sotw'), new Node('early-delta', 'delta')];
  try {
    await apply(etcd, dir, { gen: 0 });
    await etcd.stop(); // the replica starts, binds and holds streams, but cannot read a snapshot yet
    replica = await startReplica(etcd.endpoint);
    for (const n of early) await n.connect(replica.grpcPort, 'fresh');
    assert.equal(await readyz(replica), 503);
    await etcd.resume();
    for (const n of early) await n.converge({ gen: 0 });
    const samples = await metrics(replica);
    assert.equal(metricValue(samples, 'xds_etcd_connected'), 1);
    // Streams follow their group's changes from then on.
    await apply(etcd, dir, { gen: 1 });
    for (const n of early) await n.converge({ gen: 1 });
    for (const n of early) n.client?.assertNoViolations();
  } finally {
    await stopAll([replica], early, etcd);
  }
});

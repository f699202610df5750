/**
 * Rollout status across the fleet, with a real etcd and real server
 * processes: each replica publishes its nodes' sync state under an etcd
 * lease (gone when the replica is killed), `fanout-xds status` prints it,
 * and `apply --wait` returns once every node ACKed the applied revision,
 * fails naming a NACKing node, or times out naming what is behind.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Etcd3 } from 'etcd3';
import type { ResourceJson } from '../../src/api-types';
import { AdsClient } from '../helpers/ads-client';
import { TestEtcd } from '../helpers/etcd';
import { CLI_ENTRY, runFanout } from '../helpers/fanout-cli';
import type { CliRun } from '../helpers/fanout-cli';
import { cluster } from '../helpers/resources';
import { T } from '../helpers/service-paths';
import { CliProcess } from '../helpers/cli-process';
import { spawn } from 'node:child_process';

let etcd: TestEtcd;
let kv: Etcd3;
let dir: string;
let prefixes = 0;

before(async () => {
  etcd = await TestEtcd.start();
  kv = new Etcd3({ hosts: etcd.endpoint });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-rollout-'));
});

after(async () => {
  kv.close();
  await etcd.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh prefix per test, so tests share one etcd without seeing each other. */
function freshPrefix(): string {
  return `/rollout-${++prefixes}/`;
}

function configFile(name: string, resources: ResourceJson[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ resources }, null, 2));
  return file;
}

function etcdArgs(prefix: string): string[] {
  return ['--etcd-endpoints', etcd.endpoint, '--etcd-prefix', prefix];
}

/**
 * Status lease TTLs. A replica keeps its lease with a keepalive every TTL/3; a
 * loop or etcd stalled longer than the rest of the TTL on a busy machine lets
 * it expire, and the key vanishes until the replica publishes again. Tests that
 * do not watch the lease expire use a TTL no stall reaches; those that do use a
 * short one and wait for the expiry with a deadline several TTLs long.
 */
const LEASE_KEPT_TTL_S = 30;
/** Killed replica: the key must outlive the status checks first (keepalive every ~2.7 s). */
const LEASE_KILLED_TTL_S = 8;
/** Frozen replica: the key only has to appear before the freeze. */
const LEASE_FROZEN_TTL_S = 3;
/** Deadline for a lease to expire (a stopped process sends no keepalive; etcd's expiry sweep runs every half second). */
const LEASE_EXPIRY_WAIT_MS = 40_000;

async function startReplica(prefix: string, name: string, extra: string[] = [], leaseTtlSeconds = LEASE_KEPT_TTL_S): Promise<CliProcess> {
  return CliProcess.start([...etcdArgs(prefix), '--port', '0', '--host', '127.0.0.1', '--no-admin', '--workers', '1', '--replica-name', name, '--status-lease-ttl', String(leaseTtlSeconds), ...extra]);
}

async function statusOf(prefix: string, name: string): Promise<Record<string, any> | undefined> {
  const text = await kv.get(`${prefix}status/replicas/${name}`).string();
  return text === null ? undefined : (JSON.parse(text) as Record<string, any>);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last !== undefined) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Run `fanout-xds args` in the background: the result, and whether it has ended yet. */
function startFanout(args: readonly string[]): { result: Promise<CliRun>; ended: () => boolean } {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let over = false;
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const result = new Promise<CliRun>((resolve) =>
    child.once('close', (code) => {
      over = true;
      resolve({ code, stdout, stderr });
    }),
  );
  return { result, ended: () => over };
}

test('a replica publishes connected / in-sync / NACKed counts under a lease, and its key is gone once it is killed', async () => {
  const prefix = freshPrefix();
  const apply = await runFanout(['apply', configFile('a.json', [cluster('a'), cluster('b')]), ...etcdArgs(prefix), '--output', 'json']);
  assert.equal(apply.code, 0, apply.stderr);
  const applied = JSON.parse(apply.stdout).revision as number;
  const replica = await startReplica(prefix, 'replica-one', [], LEASE_KILLED_TTL_S);
  const good = await AdsClient.connect(replica.grpcPort, { variant: 'delta', node: { id: 'good-node', cluster: 'c' } });
  const bad = await AdsClient.connect(replica.grpcPort, { variant: 'sotw', node: { id: 'bad-node', cluster: 'c' } });
  try {
    good.subscribe(T.CLUSTER, []);
    await good.until(T.CLUSTER, (r) => r.names.length === 2, { ack: true, timeoutMs: 10_000 });
    bad.subscribe(T.CLUSTER, []);
    const offered = await bad.next(T.CLUSTER, { timeoutMs: 10_000 });
    bad.nack(offered, 'cluster a: bad\nthing');

    const status = await until('status with one node in sync and one NACK', async () => {
      const s = await statusOf(prefix, 'replica-one');
      return s && s['connected'] === 2 && s['inSync'] === 1 && s['nacked'] === 1 ? s : undefined;
    });
    assert.equal(status['replica'], 'replica-one');
    assert.equal(status['pid'], replica.child.pid);
    assert.ok(status['revision'] >= applied, `serves the applied revision ${applied}: ${status['revision']}`);
    assert.equal(status['nacks'].length, 1);
    const nack = status['nacks'][0];
    assert.equal(nack.node, 'bad-node');
    assert.equal(nack.type, T.CLUSTER);
    assert.equal(nack.variant, 'sotw');
    assert.ok(['a', 'b'].includes(nack.resource), `the rejected response's first resource: ${nack.resource}`);
    assert.equal(nack.resources, 2);
    assert.equal(nack.error, 'cluster a: bad\\nthing', 'client text is escaped');

    const text = await runFanout(['status', ...etcdArgs(prefix)]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /replica-one\s+\d+\s+2\s+1\s+1/);
    assert.match(text.stdout, /total \(1 replica\)\s+2\s+1\s+1/);
    assert.match(text.stdout, /node bad-node \(sotw\) NACKed type\.googleapis\.com\/envoy\.config\.cluster\.v3\.Cluster .* cluster a: bad\\nthing/);
    const json = await runFanout(['status', '--json', ...etcdArgs(prefix)]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.deepEqual(parsed.total, { replicas: 1, connected: 2, inSync: 1, nacked: 1 });
    assert.equal(parsed.replicas[0].nacks[0].node, 'bad-node');

    await replica.kill(); // SIGKILL: no clean stop, only the lease can take the key away
    await until('the status key to expire with the lease', async () => ((await statusOf(prefix, 'replica-one')) === undefined ? true : undefined), LEASE_EXPIRY_WAIT_MS);
    const none = await runFanout(['status', ...etcdArgs(prefix)]);
    assert.equal(none.code, 0);
    assert.match(none.stdout, /no replica is live/);
  } finally {
    good.close();
    bad.close();
    await replica.kill();
  }
});

test('a replica stopped with SIGTERM revokes its lease: the status key goes at once', async () => {
  const prefix = freshPrefix();
  assert.equal((await runFanout(['apply', configFile('t.json', [cluster('a')]), ...etcdArgs(prefix)])).code, 0);
  const replica = await startReplica(prefix, 'replica-term', ['--drain-timeout-ms', '100'], 60);
  try {
    await until('the status key', () => statusOf(prefix, 'replica-term'));
    replica.signal('SIGTERM');
    await replica.exited;
    assert.equal(await statusOf(prefix, 'replica-term'), undefined, 'gone without waiting for the 60 s lease');
  } finally {
    await replica.kill();
  }
});

test('a replica cut off from etcd past its lease TTL publishes again under a new lease once it is back', async () => {
  const prefix = freshPrefix();
  assert.equal((await runFanout(['apply', configFile('l.json', [cluster('a')]), ...etcdArgs(prefix)])).code, 0);
  const replica = await startReplica(prefix, 'replica-frozen', [], LEASE_FROZEN_TTL_S);
  try {
    const first = await until('the status key', () => statusOf(prefix, 'replica-frozen'));
    // Frozen, it sends no keepalives: etcd expires the lease (TTL 3 s) and deletes the key.
    replica.signal('SIGSTOP');
    await until('the key to expire while the replica is frozen', async () => ((await statusOf(prefix, 'replica-frozen')) === undefined ? true : undefined), LEASE_EXPIRY_WAIT_MS);
    replica.signal('SIGCONT');
    const again = await until('the status key again', () => statusOf(prefix, 'replica-frozen'), 30_000);
    // The lease's expiry is itself a revision under the prefix: the replica may have caught up with it before writing again.
    assert.ok(Number(again['revision']) >= Number(first['revision']), `republished at revision ${String(again['revision'])}, first at ${String(first['revision'])}`);
    assert.equal(again['connected'], first['connected']);
    await replica.waitForLog((l) => String(l.msg).startsWith('replica status lease lost'), 10_000);
  } finally {
    replica.signal('SIGCONT');
    await replica.kill();
  }
});

test('apply --wait returns 0 once every node of every replica ACKed the applied revision, and not before', async () => {
  const prefix = freshPrefix();
  assert.equal((await runFanout(['apply', configFile('w1.json', [cluster('a')]), ...etcdArgs(prefix)])).code, 0);
  const one = await startReplica(prefix, 'wait-one');
  const two = await startReplica(prefix, 'wait-two');
  const clients = [
    await AdsClient.connect(one.grpcPort, { variant: 'delta', node: { id: 'n1', cluster: 'c' } }),
    await AdsClient.connect(two.grpcPort, { variant: 'sotw', node: { id: 'n2', cluster: 'c' } }),
  ];
  try {
    for (const c of clients) {
      c.subscribe(T.CLUSTER, []);
      await c.until(T.CLUSTER, (r) => r.names.includes('a'), { ack: true, timeoutMs: 10_000 });
    }
    const run = startFanout(['apply', configFile('w2.json', [cluster('a'), cluster('b')]), ...etcdArgs(prefix), '--wait', '30s']);
    const updates = await Promise.all(clients.map((c) => c.until(T.CLUSTER, (r) => r.names.includes('b'), { timeoutMs: 15_000 })));
    // Both nodes hold the update but have not ACKed it: the wait must still be going (replicas publish within a second).
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(run.ended(), false, 'apply --wait ended before the nodes ACKed');
    clients.forEach((c, i) => c.ack(updates[i] as never));
    const result = await run.result;
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /applied 1 added/);
    assert.match(result.stdout, /rollout complete: revision \d+ is ACKed by every node \(2 replicas, 2 of 2 nodes in sync\)/);

    // Idle replicas write nothing: each one's status write is a revision every replica sees, and must not make them write again.
    const versions = async (): Promise<string[]> => Promise.all(['wait-one', 'wait-two'].map(async (n) => (await kv.get(`${prefix}status/replicas/${n}`).exec()).kvs[0]?.version ?? 'gone'));
    await new Promise((r) => setTimeout(r, 1_500));
    const before = await versions();
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(await versions(), before, 'status keys rewritten while nothing changed');
  } finally {
    for (const c of clients) c.close();
    await one.kill();
    await two.kill();
  }
});

test('apply --wait fails with exit 1 naming the node, resource and error of a NACK', async () => {
  const prefix = freshPrefix();
  assert.equal((await runFanout(['apply', configFile('n1.json', [cluster('a')]), ...etcdArgs(prefix)])).code, 0);
  const replica = await startReplica(prefix, 'nack-one');
  const client = await AdsClient.connect(replica.grpcPort, { variant: 'delta', node: { id: 'picky-node', cluster: 'c' } });
  try {
    client.subscribe(T.CLUSTER, []);
    await client.until(T.CLUSTER, (r) => r.names.includes('a'), { ack: true, timeoutMs: 10_000 });
    const run = startFanout(['apply', configFile('n2.json', [cluster('a'), cluster('shiny')]), ...etcdArgs(prefix), '--wait', '30s', '--output', 'json']);
    const update = await client.until(T.CLUSTER, (r) => r.names.includes('shiny'), { timeoutMs: 15_000 });
    client.nack(update, 'cluster shiny: unknown load balancing policy');
    const result = await run.result;
    assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].committed, true);
    const wait = lines[1].wait;
    assert.equal(wait.outcome, 'nacked');
    assert.equal(wait.revision, lines[0].revision);
    assert.deepEqual(
      wait.nacks.map((n: any) => [n.replica, n.node, n.type, n.resource, n.error]),
      [['nack-one', 'picky-node', T.CLUSTER, 'shiny', 'cluster shiny: unknown load balancing policy']],
    );

    // The text form says the same, and a later apply that fixes it waits on the fixed revision.
    const text = startFanout(['apply', configFile('n3.json', [cluster('a')]), ...etcdArgs(prefix), '--wait', '20s', '--prune']);
    const fixed = await client.until(T.CLUSTER, (r) => r.removed.includes('shiny'), { timeoutMs: 15_000 });
    client.ack(fixed);
    const ok = await text.result;
    assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
  } finally {
    client.close();
    await replica.kill();
  }
});

test('apply --wait times out with exit 1 naming the replica and node not in sync; with no replica live it says so', async () => {
  const prefix = freshPrefix();
  assert.equal((await runFanout(['apply', configFile('s1.json', [cluster('a')]), ...etcdArgs(prefix)])).code, 0);
  const replica = await startReplica(prefix, 'slow-one');
  const client = await AdsClient.connect(replica.grpcPort, { variant: 'sotw', node: { id: 'silent-node', cluster: 'c' } });
  try {
    client.subscribe(T.CLUSTER, []);
    await client.until(T.CLUSTER, (r) => r.names.includes('a'), { ack: true, timeoutMs: 10_000 });
    // The client receives the update and never answers.
    const result = await runFanout(['apply', configFile('s2.json', [cluster('a'), cluster('b')]), ...etcdArgs(prefix), '--wait', '3s']);
    assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /applied 1 added/, 'the write itself happened');
    assert.match(result.stderr, /timed out after 3s waiting for revision \d+ \(1 replica, 0 of 1 nodes in sync\); not in sync:/);
    assert.match(result.stderr, /replica slow-one: 1 of 1 nodes not in sync: silent-node/);

    const dry = await runFanout(['apply', configFile('s3.json', [cluster('c')]), ...etcdArgs(prefix), '--wait', '3s', '--dry-run']);
    assert.equal(dry.code, 0);
    assert.match(dry.stderr, /--wait is ignored with --dry-run/);

    const bad = await runFanout(['apply', configFile('s4.json', [cluster('a')]), ...etcdArgs(prefix), '--wait', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--wait must be a duration like 500ms, 10s, 2m/);
  } finally {
    client.close();
    await replica.kill();
  }
  const empty = freshPrefix();
  const lonely = await runFanout(['apply', configFile('e.json', [cluster('a')]), ...etcdArgs(empty), '--wait', '1500ms']);
  assert.equal(lonely.code, 1);
  assert.match(lonely.stderr, /no replica is live yet/);
  assert.match(lonely.stderr, /timed out after 1500ms: no replica is live/);
});

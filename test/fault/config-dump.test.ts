/**
 * @module test/fault/config-dump.test
 * The admin port as an operator uses it, against the real CLI: /config_dump
 * returns the resources themselves as proto3 JSON (secrets redacted) with
 * ?type=, ?name= and ?node= filters, refuses unknown parameters and answers
 * too large; /nodes always gives a node's group; a reload's log line names
 * what changed.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { T } from '../helpers/service-paths';
import { CliProcess } from '../helpers/cli-process';
import { httpGet } from '../helpers/admin-scrape';
import { RawXdsStream } from '../helpers/raw-stream';
import { meshYaml, PRIVATE_KEY, writeConfig } from './operator-config';

/** Liveness bounds for a loaded shared machine, not speed claims. */
const DEADLINE_MS = 30_000;
const START_MS = 90_000;

interface DumpEntry {
  type: string;
  name: string;
  version: string;
  group: string | null;
  source: string;
  resource: Record<string, unknown>;
}
interface Dump {
  revision: number;
  node?: { id: string; group: string | null; connected: boolean };
  resources: DumpEntry[];
}

async function dump(port: number, query: string): Promise<{ status: number; body: Dump & { error?: string } }> {
  const res = await httpGet(port, `/config_dump${query}`);
  return { status: res.status, body: JSON.parse(res.body) as Dump & { error?: string } };
}

test('/config_dump shows the resources as proto3 JSON with secrets redacted, filtered by type, name and node', async () => {
  const file = writeConfig(meshYaml());
  const cli = await CliProcess.start(['--config', file, '--port', '0', '--host', '127.0.0.1', '--admin-port', '0', '--workers', '1', '--admin-max-response-bytes', '2500'], {
    readyTimeoutMs: START_MS,
  });
  const streams: RawXdsStream[] = [];
  try {
    const admin = cli.adminPort ?? 0;
    // The whole dump is over the 2500-byte cap: refused with a hint, not cut silently.
    const whole = await dump(admin, '');
    assert.equal(whole.status, 413);
    assert.match(whole.body.error ?? '', /larger than 2500 bytes .*\?type=.*\?name=/);

    const secret = await dump(admin, '?type=secret');
    assert.equal(secret.status, 200);
    const text = JSON.stringify(secret.body);
    assert.doesNotMatch(text, new RegExp(PRIVATE_KEY), 'the private key never leaves the server');
    assert.deepEqual(
      secret.body.resources.map((r) => r.name),
      ['s0'],
    );
    const s0 = secret.body.resources[0]?.resource;
    assert.deepEqual(s0, {
      '@type': T.SECRET,
      name: 's0',
      tlsCertificate: { certificateChain: { inlineString: 'CERT-TEXT' }, privateKey: { inlineString: '[redacted]' } },
    });

    for (const type of ['cluster', 'CLUSTER', 'Clusters', 'cds', T.CLUSTER, T.CLUSTER.toUpperCase(), 'envoy.config.cluster.v3.Cluster']) {
      const clusters = await dump(admin, `?type=${encodeURIComponent(type)}`);
      assert.equal(clusters.status, 200, type);
      assert.deepEqual(clusters.body.resources.map((r) => `${r.type} ${r.name} ${String(r.group)}`).sort(), [`${T.CLUSTER} c0 canary`, `${T.CLUSTER} c0 null`], type);
    }
    const route = await dump(admin, '?type=route&name=r0');
    const r0 = route.body.resources[0];
    assert.equal(route.body.resources.length, 1);
    assert.match(r0?.source ?? '', /config\.yaml: resources\[1\]/);
    assert.deepEqual((r0?.resource['virtualHosts'] as unknown[])[0], { name: 'vh0', domains: ['*'], routes: [{ name: 'api', match: { prefix: '/' }, route: { cluster: 'c0' } }] });
    const listener = (await dump(admin, '?type=listener')).body.resources[0]?.resource;
    const hcm = (listener?.['filterChains'] as { filters: { typedConfig: Record<string, unknown> }[] }[])[0]?.filters[0]?.typedConfig ?? {};
    assert.equal(hcm['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', 'a nested Any is expanded with its @type');
    assert.deepEqual(hcm['rds'], { routeConfigName: 'r0', configSource: { ads: {}, resourceApiVersion: 'V3' } });

    const byName = await dump(admin, '?name=c0');
    assert.deepEqual(byName.body.resources.map((r) => r.type).sort(), [T.CLUSTER, T.CLUSTER, T.ENDPOINT].sort());

    // ?node=: what that node would receive, after its node group.
    const canary = await dump(admin, '?node=canary-7&type=cluster');
    assert.deepEqual(canary.body.node, { id: 'canary-7', group: 'canary', connected: false });
    assert.deepEqual(
      canary.body.resources.map((r) => r.resource['connectTimeout']),
      ['9s'],
    );
    const plain = await dump(admin, '?node=edge-1');
    assert.deepEqual(plain.body.node, { id: 'edge-1', group: null, connected: false });
    assert.deepEqual(
      plain.body.resources.filter((r) => r.type === T.CLUSTER).map((r) => r.resource['connectTimeout']),
      ['5s'],
    );
    assert.deepEqual(plain.body.resources.map((r) => r.type).sort(), [T.CLUSTER, T.ENDPOINT, T.LISTENER, T.ROUTE, T.SECRET].sort());

    // Unknown parameters and types are errors that say what is accepted.
    const bogus = await httpGet(admin, '/config_dump?typ=cluster');
    assert.equal(bogus.status, 400);
    assert.match(bogus.body, /unknown query parameter \\?"typ\\?" for \/config_dump; it accepts \?type=, \?name=, \?node=/);
    const badType = await httpGet(admin, '/config_dump?type=gadget');
    assert.equal(badType.status, 400);
    assert.match(badType.body, /unknown resource type .*gadget.*cluster, endpoint/);

    // /nodes: group is always there, null for a node no group claims.
    for (const id of ['canary-1', 'edge-1']) {
      const s = new RawXdsStream({ port: cli.grpcPort, variant: 'sotw', node: { id }, autoAck: true });
      s.subscribeWildcard(T.CLUSTER);
      streams.push(s);
      await s.waitFor((r) => r.names.includes('c0'), DEADLINE_MS, `${id} gets c0`);
    }
    const nodes = JSON.parse((await httpGet(admin, '/nodes')).body) as { nodes: { id: string; group: string | null }[] };
    assert.deepEqual(nodes.nodes.map((n) => `${n.id} ${String(n.group)}`).sort(), ['canary-1 canary', 'edge-1 null']);
    assert.ok(nodes.nodes.every((n) => 'group' in n));
    assert.equal((await httpGet(admin, '/nodes?node=x')).status, 400);
    const connected = await dump(admin, '?node=canary-1&type=cluster');
    assert.deepEqual(connected.body.node, { id: 'canary-1', group: 'canary', connected: true });

    // A reload's log line names what changed, per type, with the count.
    fs.writeFileSync(file, meshYaml({ timeout: '7s' }));
    const applied = await cli.waitForLog((l) => l.msg === 'configuration applied' && l['revision'] === 2, DEADLINE_MS);
    assert.equal(applied['summary'], 'Cluster +1 (c0)');
    assert.deepEqual(applied['changes'], { default: { Cluster: { updated: 1, removed: 0, updatedNames: ['c0'] } } });
  } finally {
    for (const s of streams) s.close();
    await cli.kill();
  }
});

/**
 * @module test/protocol/basics.case
 * Contract cases for stream basics (rules A1–A5 of docs/protocol.md), run
 * against both variants. A3 and A5's nonce rule are also checked on every
 * response of every test by the client's invariants.
 */
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { hasClusterTimeout } from '../helpers/inspect';
import * as grpc from '@grpc/grpc-js';
import type { Harness } from '../helpers/harness';
import { T, v2AdsPath } from '../helpers/service-paths';
import { cla, cluster, extensionConfig, listener, route, runtime, scopedRoute, secret, startServer, virtualHost } from '../helpers/server';
import type { ResourceJson } from '../../src/index';

const SILENCE_MS = 400;

/** One resource of every served type, with the name to ask for. */
function oneOfEach(withVirtualHost: boolean): { resources: ResourceJson[]; asks: [string, string][] } {
  const resources = [cluster('c0'), cla('e0'), listener('l0', 'r0'), route('r0', 'c0'), secret('s0'), runtime('rt0'), scopedRoute('sr0', 'r0'), extensionConfig('x0')];
  const asks: [string, string][] = [
    [T.CLUSTER, 'c0'],
    [T.ENDPOINT, 'e0'],
    [T.LISTENER, 'l0'],
    [T.ROUTE, 'r0'],
    [T.SECRET, 's0'],
    [T.RUNTIME, 'rt0'],
    [T.SCOPED_ROUTE, 'sr0'],
    [T.EXTENSION_CONFIG, 'x0'],
  ];
  if (withVirtualHost) {
    resources.push(virtualHost('r0/vh0', ['vh0.example.com'], 'c0'));
    asks.push([T.VIRTUAL_HOST, 'r0/vh0']);
  }
  return { resources, asks };
}

function groupsConfig(onlyN1TimeoutSeconds: number): string {
  return JSON.stringify({
    resources: [cluster('shared')],
    node_groups: [{ name: 'g1', match: { id: 'n1' }, resources: [cluster('only-n1', { timeoutSeconds: onlyN1TimeoutSeconds })] }],
  });
}

/** Register the A-rule cases on the suite's harness. */
export function basicsCases(h: Harness): void {
  const delta = h.variant === 'delta';

  it('A1: every resource type is answered on ADS with its own type_url', async () => {
    const { resources, asks } = oneOfEach(delta);
    await h.ts.set(resources);
    const c = await h.connect();
    for (const [typeUrl, name] of asks) {
      const r = await c.fetch(typeUrl, [name]);
      assert.equal(r.typeUrl, typeUrl);
      assert.deepEqual(r.names, [name], `${typeUrl} by name`);
      assert.equal(r.resources[0]?.typeUrl, typeUrl);
    }
  });

  it('A1: each per-type discovery service serves its own type', async () => {
    const { resources, asks } = oneOfEach(delta);
    await h.ts.set(resources);
    for (const [typeUrl, name] of asks) {
      const c = await h.connect({ service: 'per-type', typeUrl });
      const r = await c.fetch(typeUrl, [name]);
      assert.equal(r.typeUrl, typeUrl, c.path);
      assert.deepEqual(r.names, [name], c.path);
    }
  });

  it('A1: a runtime layer change is pushed on the per-type RuntimeDiscoveryService stream', async () => {
    await h.ts.set([runtime('rt0', { 'feature.x': 1 })]);
    const c = await h.connect({ service: 'per-type', typeUrl: T.RUNTIME });
    const first = await c.fetch(T.RUNTIME, ['rt0']);
    assert.deepEqual(first.names, ['rt0']);
    await h.ts.update({ upsert: [runtime('rt0', { 'feature.x': 2 })] });
    const r = await c.next(T.RUNTIME);
    // layer is a google.protobuf.Struct: {fields: {key: {numberValue}}}.
    const layer = r.resources.find((x) => x.name === 'rt0')?.body?.['layer'] as { fields?: Record<string, { numberValue?: number }> } | undefined;
    assert.equal(layer?.fields?.['feature.x']?.numberValue, 2);
  });

  it('A1: the retired v2 ADS method is answered with UNIMPLEMENTED', async () => {
    const c = await h.connect({ path: v2AdsPath(h.variant) });
    c.subscribe(T.CLUSTER, []);
    const status = await c.ended();
    assert.equal(status.code, grpc.status.UNIMPLEMENTED);
  });

  it('A2: a NACKed RDS response does not stop CDS updates on the same stream', async () => {
    await h.ts.set([cluster('c0'), cluster('c1'), route('r0', 'c0')]);
    const c = await h.connect();
    await c.fetch(T.CLUSTER, []);
    c.subscribe(T.ROUTE, ['r0']);
    c.nack(await c.next(T.ROUTE), 'route rejected by test');
    await h.ts.update({ upsert: [cluster('c1', { timeoutSeconds: 5 })] });
    const r = await c.until(T.CLUSTER, (x) => hasClusterTimeout(x, 'c1', 5), { ack: true });
    assert.ok(r.names.includes('c1'));
  });

  it('A4: a node sent only on the first request keeps selecting that node group', async () => {
    const ts = await startServer();
    h.onCleanup(() => ts.stop());
    const loaded = await ts.server.loadConfigDocuments([{ file: 'groups.json', text: groupsConfig(1) }]);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
    const n1 = await h.connectTo(ts.port, { node: { id: 'n1', cluster: 'test' } });
    const n2 = await h.connectTo(ts.port, { node: { id: 'n2', cluster: 'test' } });
    const a = await n1.fetch(T.CLUSTER, []);
    assert.deepEqual([...a.names].sort(), ['only-n1', 'shared']);
    const b = await n2.fetch(T.CLUSTER, []);
    assert.deepEqual([...b.names], ['shared']);
    // Later requests carry no node (gRPC style); the group must come from the first one.
    n1.subscribe(T.ENDPOINT, ['nothing-here']);
    const reloaded = await ts.server.loadConfigDocuments([{ file: 'groups.json', text: groupsConfig(7) }]);
    assert.ok(reloaded.ok);
    const r = await n1.until(T.CLUSTER, (x) => hasClusterTimeout(x, 'only-n1', 7), { ack: true });
    if (!delta) assert.ok(r.names.includes('shared'), 'SotW CDS is full state');
  });

  it('A4: a stream whose first request has no node is served the default group (documented choice)', async () => {
    const ts = await startServer();
    h.onCleanup(() => ts.stop());
    const loaded = await ts.server.loadConfigDocuments([{ file: 'groups.json', text: groupsConfig(1) }]);
    assert.ok(loaded.ok);
    const c = await h.connectTo(ts.port, { node: null });
    const r = await c.fetch(T.CLUSTER, []);
    assert.deepEqual([...r.names], ['shared']);
  });

  it(`${delta ? 'C19' : 'B6'}: re-applying identical resources sends no response (versions are content hashes)`, async () => {
    const resources = [cluster('c0', { eds: true }), cla('c0', [1, 2]), listener('l0', 'r0'), route('r0', 'c0')];
    await h.ts.set(resources);
    const c = await h.connect();
    await c.fetch(T.CLUSTER, []);
    await c.fetch(T.ENDPOINT, ['c0']);
    await c.fetch(T.LISTENER, []);
    await c.fetch(T.ROUTE, ['r0']);
    await h.ts.set(resources.map((r) => JSON.parse(JSON.stringify(r)) as ResourceJson));
    await c.expectSilence(SILENCE_MS);
  });

  it('A5: an ACK with the last CDS nonce is accepted although an EDS response came after it', async () => {
    await h.ts.set([cluster('a'), cluster('b'), cla('x')]);
    const c = await h.connect();
    c.subscribe(T.CLUSTER, ['a']);
    const cds = await c.next(T.CLUSTER);
    c.subscribe(T.ENDPOINT, ['x']);
    await c.next(T.ENDPOINT);
    // N1 (CDS) is older than N2 (EDS) on the stream, but it is CDS's latest: staleness is per type.
    if (delta) c.send({ typeUrl: T.CLUSTER, responseNonce: cds.nonce, resourceNamesSubscribe: ['b'] });
    else c.send({ typeUrl: T.CLUSTER, versionInfo: cds.versionInfo, responseNonce: cds.nonce, resourceNames: ['a', 'b'] });
    const r = await c.next(T.CLUSTER);
    assert.ok(r.names.includes('b'), `got ${r.names.join(',')}`);
  });

  it('A5: a restarted server gives the same content the same versions', async () => {
    const resources = [cluster('c0'), cluster('c1', { eds: true }), cla('c1', [9001, 9002])];
    await h.ts.set(resources);
    const other = await startServer({ resources });
    h.onCleanup(() => other.stop());
    const seen: { cds: string[]; eds: string[] }[] = [];
    for (const port of [h.ts.port, other.port]) {
      const c = await h.connectTo(port);
      const cds = await c.fetch(T.CLUSTER, []);
      const eds = await c.fetch(T.ENDPOINT, ['c1']);
      const versions = (r: typeof cds): string[] => (delta ? r.resources.map((x) => `${x.name}=${x.version}`).sort() : [r.versionInfo]);
      seen.push({ cds: versions(cds), eds: versions(eds) });
    }
    assert.deepEqual(seen[0], seen[1]);
  });
}

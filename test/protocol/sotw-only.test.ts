/**
 * @module test/protocol/sotw-only.test
 * Rules that exist only in the state-of-the-world variant (B6–B15 of
 * docs/protocol.md), the resource-in-sotw wrapper (A3) and a gRPC-like
 * client (E31/E32).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { timeoutOf } from '../helpers/inspect';
import { useHarness } from '../helpers/harness';
import type { AdsClient, Received } from '../helpers/ads-client';
import { T } from '../helpers/service-paths';
import type { ResourceJson } from '../../src/index';
import { EXAMPLE, cla, cluster, delay, exampleResources, listener, route, startServer, waitFor } from '../helpers/server';
import type { TestServer } from '../helpers/server';

const SILENCE_MS = 400;

/** EDS clusters m0…m19 and their endpoints: an EDS name list as long as a real Envoy's (pooled by the server). */
const MESH = Array.from({ length: 20 }, (_, i) => `m${i}`);

/** The mesh, with the endpoint ports given in `ports` (8080 otherwise). */
function meshResources(ports: Readonly<Record<string, number>> = {}): ResourceJson[] {
  return MESH.flatMap((n) => [cluster(n, { eds: true }), cla(n, [ports[n] ?? 8080])]);
}

/** What a SotW client last accepted, per type: all an Envoy remembers across a reconnect. */
interface Accepted {
  readonly cds: string;
  readonly eds: string;
}

function sorted(r: Received): string[] {
  return [...r.names].sort();
}

describe('xDS state of the world only', () => {
  const h = useHarness('sotw');
  const nacks = (): number => h.ts.server.stats().nacks;

  describe('B6–B8. ACK and NACK', () => {
    it('B6: ten ACKs of the current response bring no further response', async () => {
      await h.ts.set([cluster('c0')]);
      const c = await h.connect();
      const r = await c.fetch(T.CLUSTER, []);
      for (let i = 0; i < 10; i++) c.ack(r);
      await c.expectSilence(SILENCE_MS);
    });

    /** A client holding CLA x at v1 that has just received v2. */
    async function clientReceivingV2(): Promise<{ c: AdsClient; v2: Received }> {
      await h.ts.set([cla('x', [1])]);
      const c = await h.connect();
      await c.fetch(T.ENDPOINT, ['x']);
      await h.ts.update({ upsert: [cla('x', [2])] });
      return { c, v2: await c.next(T.ENDPOINT) };
    }

    it('B7: error_detail with the new version (grpc-node style) is recorded as a NACK', async () => {
      const { c, v2 } = await clientReceivingV2();
      const before = nacks();
      c.nack(v2, 'rejected by test', { version: v2.versionInfo, code: 14 });
      await waitFor(() => nacks() === before + 1, 10_000, 'the NACK to be counted');
      await c.expectSilence(SILENCE_MS);
    });

    it('B7: an Envoy-style NACK (previous version, code 13) is recorded as a NACK', async () => {
      const { c, v2 } = await clientReceivingV2();
      const before = nacks();
      c.nack(v2, 'rejected by test');
      await waitFor(() => nacks() === before + 1, 10_000, 'the NACK to be counted');
    });

    it('B8: after a NACK the rejected version is not resent, and the next change is sent', async () => {
      const { c, v2 } = await clientReceivingV2();
      c.nack(v2, 'rejected by test');
      await c.expectSilence(SILENCE_MS);
      await h.ts.update({ upsert: [cla('x', [3])] });
      const v3 = await c.next(T.ENDPOINT);
      assert.notEqual(v3.versionInfo, v2.versionInfo);
      assert.deepEqual(v3.names, ['x']);
    });
  });

  describe('B9–B11. requests and nonces', () => {
    it('B9: back-to-back requests [a], [a,b], [a,b,c] leave the client with a, b and c', async () => {
      await h.ts.set([cla('a'), cla('b'), cla('c')]);
      const c = await h.connect();
      c.send({ typeUrl: T.ENDPOINT, resourceNames: ['a'] });
      c.send({ typeUrl: T.ENDPOINT, resourceNames: ['a', 'b'] });
      c.send({ typeUrl: T.ENDPOINT, resourceNames: ['a', 'b', 'c'] });
      const got = new Set<string>();
      await c.until(
        T.ENDPOINT,
        (r) => {
          r.names.forEach((n) => got.add(n));
          return ['a', 'b', 'c'].every((n) => got.has(n));
        },
        { ack: true },
      );
    });

    it('B10: a request with a stale nonce (ACK or NACK) is neither answered nor counted', async () => {
      await h.ts.set([cla('a', [1])]);
      const c = await h.connect();
      const v1 = await c.fetch(T.ENDPOINT, ['a']);
      await h.ts.update({ upsert: [cla('a', [2])] });
      await c.next(T.ENDPOINT); // N2 is now the latest nonce; N1 is stale
      const before = nacks();
      c.send({ typeUrl: T.ENDPOINT, versionInfo: v1.versionInfo, responseNonce: v1.nonce, resourceNames: ['a'] });
      c.send({ typeUrl: T.ENDPOINT, versionInfo: v1.versionInfo, responseNonce: v1.nonce, resourceNames: ['a'], errorDetail: { code: 13, message: 'stale' } });
      await c.expectSilence(SILENCE_MS);
      assert.equal(nacks(), before, 'a stale NACK must not be recorded');
    });

    it("B10: a fresh stream's first request carrying another stream's nonce is answered", async () => {
      await h.ts.set([cluster('c0')]);
      const old = await h.connect();
      const oldResponse = await old.fetch(T.CLUSTER, []);
      const c = await h.connect();
      c.send({ typeUrl: T.CLUSTER, resourceNames: [], versionInfo: 'from-an-old-stream', responseNonce: oldResponse.nonce });
      const r = await c.next(T.CLUSTER);
      assert.deepEqual([...r.names], ['c0']);
    });

    it('B11: adding a name at the same version sends the added resource', async () => {
      await h.ts.set([cla('a'), cla('b')]);
      const c = await h.connect();
      await c.fetch(T.ENDPOINT, ['a']);
      c.subscribe(T.ENDPOINT, ['b']);
      const r = await c.next(T.ENDPOINT);
      assert.ok(r.names.includes('b'), `got ${r.names.join(',')}`);
    });

    it('B11: a name dropped and requested again is sent again although unchanged', async () => {
      await h.ts.set([cla('a'), cla('b')]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['a', 'b']);
      await c.until(T.ENDPOINT, (r) => r.names.includes('b'), { ack: true });
      c.unsubscribe(T.ENDPOINT, ['b']);
      await delay(SILENCE_MS / 2);
      c.drain(T.ENDPOINT).forEach((r) => c.ack(r)); // a reply to a removal is allowed, not required
      c.subscribe(T.ENDPOINT, ['b']);
      await c.until(T.ENDPOINT, (r) => r.names.includes('b'), { ack: true });
    });
  });

  describe('B12. wildcard', () => {
    it('B12: an empty CDS resource_names list subscribes to every cluster', async () => {
      await h.ts.set([cluster('a'), cluster('b'), cluster('c')]);
      const c = await h.connect();
      assert.deepEqual(sorted(await c.fetch(T.CLUSTER, [])), ['a', 'b', 'c']);
    });

    it("B12: ['*'] and ['*', 'a'] both get every cluster, like the empty list", async () => {
      await h.ts.set([cluster('a'), cluster('b'), cluster('c')]);
      const star = await h.connect();
      const starA = await h.connect();
      assert.deepEqual(sorted(await star.fetch(T.CLUSTER, ['*'])), ['a', 'b', 'c']);
      assert.deepEqual(sorted(await starA.fetch(T.CLUSTER, ['*', 'a'])), ['a', 'b', 'c']);
    });

    it('B12: after a named CDS request, CDS carries only that name and an empty list means no clusters', async () => {
      await h.ts.set([cluster('a'), cluster('b')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, []);
      c.requestNames(T.CLUSTER, ['a']);
      await delay(100); // let the server read the request before the config changes
      await h.ts.update({ upsert: [cluster('a', { timeoutSeconds: 2 }), cluster('b', { timeoutSeconds: 2 })] });
      const onlyA = await c.until(T.CLUSTER, (r) => timeoutOf(r, 'a') === 2, { ack: true });
      assert.deepEqual([...onlyA.names], ['a']);
      for (const r of c.responses.slice(1)) assert.ok(!r.names.includes('b'), `b sent after the named request in #${r.index}`);
      c.requestNames(T.CLUSTER, []);
      await delay(100);
      await h.ts.update({ upsert: [cluster('a', { timeoutSeconds: 3 })] });
      await delay(SILENCE_MS);
      for (const r of c.drain(T.CLUSTER)) assert.deepEqual([...r.names], [], `an empty list after named requests subscribes to nothing (#${r.index})`);
    });

    it('B12: an empty EDS list subscribes to nothing (legacy wildcard is LDS/CDS only)', async () => {
      await h.ts.set([cla('x'), cla('y')]);
      const c = await h.connect();
      c.send({ typeUrl: T.ENDPOINT, resourceNames: [] });
      await delay(SILENCE_MS);
      for (const r of c.drain(T.ENDPOINT)) assert.deepEqual([...r.names], [], `EDS [] got resources in #${r.index}`);
    });
  });

  describe('B13. full state for LDS and CDS', () => {
    it('B13: changing one of three clusters sends a CDS response with all three', async () => {
      await h.ts.set([cluster('a'), cluster('b'), cluster('c')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, []);
      await h.ts.update({ upsert: [cluster('b', { timeoutSeconds: 2 })] });
      const r = await c.next(T.CLUSTER);
      assert.deepEqual(sorted(r), ['a', 'b', 'c']);
      assert.equal(timeoutOf(r, 'b'), 2);
    });

    it('B13: deleting one of three clusters sends a CDS response with the other two', async () => {
      await h.ts.set([cluster('a'), cluster('b'), cluster('c')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, []);
      await h.ts.update({ remove: [{ typeUrl: T.CLUSTER, name: 'b' }] });
      assert.deepEqual(sorted(await c.next(T.CLUSTER)), ['a', 'c']);
    });

    it('B13: deleting every cluster sends an empty CDS response', async () => {
      await h.ts.set([cluster('a'), cluster('b'), cla('keep')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, []);
      await h.ts.set([cla('keep')]);
      assert.deepEqual(sorted(await c.next(T.CLUSTER)), []);
    });

    it('B13: an initial wildcard CDS request with no clusters is answered with an empty response', async () => {
      await h.ts.set([cla('x')]);
      const c = await h.connect();
      assert.deepEqual(sorted(await c.fetch(T.CLUSTER, [])), []);
    });

    it('B13: a CDS request naming clusters gets every named existing cluster when one changes', async () => {
      await h.ts.set([cluster('a'), cluster('b'), cluster('c')]);
      const c = await h.connect();
      assert.deepEqual(sorted(await c.fetch(T.CLUSTER, ['a', 'b'])), ['a', 'b']);
      await h.ts.update({ upsert: [cluster('b', { timeoutSeconds: 2 })] });
      assert.deepEqual(sorted(await c.next(T.CLUSTER)), ['a', 'b']);
    });

    it('B13: deleting one of two listeners sends an LDS response with the other', async () => {
      await h.ts.set([listener('l0', 'r0', 10000), listener('l1', 'r0', 10001), route('r0', 'c0')]);
      const c = await h.connect();
      assert.deepEqual(sorted(await c.fetch(T.LISTENER, [])), ['l0', 'l1']);
      await h.ts.update({ remove: [{ typeUrl: T.LISTENER, name: 'l0' }] });
      assert.deepEqual(sorted(await c.next(T.LISTENER)), ['l1']);
    });

    it('B13: a changed CLA is sent (alone is enough: EDS is not full state)', async () => {
      await h.ts.set([cla('a', [1]), cla('b', [1])]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['a', 'b']);
      await c.until(T.ENDPOINT, (r) => r.names.includes('b'), { ack: true });
      c.drain().forEach((r) => c.ack(r));
      await h.ts.update({ upsert: [cla('b', [2])] });
      const r = await c.next(T.ENDPOINT);
      assert.ok(r.names.includes('b'));
    });
  });

  describe('B14–B15. missing names and reconnects', () => {
    it('B14: a CLA requested before it exists is sent when it is created', async () => {
      await h.ts.set([cla('other')]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['ghost']);
      await delay(SILENCE_MS);
      for (const r of c.drain(T.ENDPOINT)) {
        assert.ok(!r.names.includes('ghost'));
        c.ack(r);
      }
      await h.ts.update({ upsert: [cla('ghost')] });
      await c.until(T.ENDPOINT, (r) => r.names.includes('ghost'), { ack: true });
    });

    it('B14: a cluster requested by name before it exists is sent when it is created', async () => {
      await h.ts.set([cluster('a')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, ['a', 'ghost']);
      await h.ts.update({ upsert: [cluster('ghost')] });
      const r = await c.until(T.CLUSTER, (x) => x.names.includes('ghost'), { ack: true });
      assert.deepEqual(sorted(r), ['a', 'ghost']);
    });

    it('B15: a reconnecting client at the current version with a new name receives that resource', async () => {
      await h.ts.set([cla('a'), cla('b')]);
      const first = await h.connect();
      const v = await first.fetch(T.ENDPOINT, ['a']);
      first.close();
      const c = await h.connect();
      c.send({ typeUrl: T.ENDPOINT, versionInfo: v.versionInfo, resourceNames: ['a', 'b'] });
      await c.until(T.ENDPOINT, (r) => r.names.includes('b'), { ack: true });
    });

    it('B15: a reconnecting client with an outdated version receives the current resource', async () => {
      await h.ts.set([cla('a', [1])]);
      const first = await h.connect();
      const v1 = await first.fetch(T.ENDPOINT, ['a']);
      first.close();
      await h.ts.update({ upsert: [cla('a', [2])] });
      const c = await h.connect();
      c.send({ typeUrl: T.ENDPOINT, versionInfo: v1.versionInfo, resourceNames: ['a'] });
      const r = await c.next(T.ENDPOINT);
      assert.notEqual(r.versionInfo, v1.versionInfo);
      assert.deepEqual(r.names, ['a']);
    });

    /** Start a server on the mesh; stopped after the test. */
    async function meshServer(ports: Readonly<Record<string, number>> = {}): Promise<TestServer> {
      const ts = await startServer({ resources: meshResources(ports) });
      h.onCleanup(() => ts.stop());
      return ts;
    }

    /**
     * An Envoy-like client on `servers[0]`: CDS wildcard, EDS for every
     * cluster; then one endpoint changes (on every server in `servers`) and
     * it accepts the partial EDS response. Returns its accepted versions.
     */
    async function acceptPartialUpdate(servers: readonly TestServer[]): Promise<Accepted> {
      const c = await h.connectTo(servers[0]?.port ?? 0);
      const cds = await c.fetch(T.CLUSTER, []);
      await c.fetch(T.ENDPOINT, MESH);
      for (const ts of servers) await ts.update({ upsert: [cla('m3', [9003])] });
      const partial = await c.next(T.ENDPOINT);
      c.ack(partial);
      assert.deepEqual(partial.names, ['m3'], 'the update is sent alone');
      c.close();
      return { cds: cds.versionInfo, eds: partial.versionInfo };
    }

    /** Reconnect as Envoy does (rule E30): per type its last accepted version and its names, no nonce. */
    function resume(c: AdsClient, accepted: Accepted): void {
      c.send({ typeUrl: T.CLUSTER, versionInfo: accepted.cds, resourceNames: [] });
      c.send({ typeUrl: T.ENDPOINT, versionInfo: accepted.eds, resourceNames: MESH });
    }

    it('B15: after a partial EDS update, a client reconnecting at its versions to the restarted server is sent nothing, and then only what changes', async () => {
      const first = await meshServer();
      const accepted = await acceptPartialUpdate([first]);
      await first.stop();
      const restarted = await meshServer({ m3: 9003 });
      const c = await h.connectTo(restarted.port);
      resume(c, accepted);
      await c.expectSilence(SILENCE_MS);
      await restarted.update({ upsert: [cla('m5', [9005])] });
      assert.deepEqual((await c.next(T.ENDPOINT)).names, ['m5']);
    });

    it('B15: after a partial EDS update, a client moving to a second server on the same config is sent nothing', async () => {
      const servers = [await meshServer(), await meshServer()];
      const accepted = await acceptPartialUpdate(servers);
      const c = await h.connectTo(servers[1]?.port ?? 0);
      resume(c, accepted);
      await c.expectSilence(SILENCE_MS);
    });

    it('B15: a client reconnecting to a server that has not loaded its configuration yet is sent nothing once the configuration it holds is loaded', async () => {
      const first = await meshServer();
      const accepted = await acceptPartialUpdate([first]);
      const empty = await startServer();
      h.onCleanup(() => empty.stop());
      const c = await h.connectTo(empty.port);
      resume(c, accepted);
      await delay(SILENCE_MS / 2);
      await empty.set(meshResources({ m3: 9003 }));
      await c.expectSilence(SILENCE_MS);
    });

    it('B15: a client reconnecting at an outdated EDS version gets the change, within every subscribed resource (SotW cannot say which it holds), at the current version', async () => {
      const ts = await meshServer();
      const accepted = await acceptPartialUpdate([ts]);
      await ts.update({ upsert: [cla('m7', [9007])] });
      const c = await h.connectTo(ts.port);
      resume(c, accepted);
      const r = await c.next(T.ENDPOINT);
      assert.deepEqual(sorted(r), [...MESH].sort());
      await c.expectSilence(SILENCE_MS, T.CLUSTER);
      const fresh = await h.connectTo(ts.port);
      assert.equal(r.versionInfo, (await fresh.fetch(T.ENDPOINT, MESH)).versionInfo, 'the version a client holding the current state is given');
    });

    it('B15: streams with different names sent the same partial change each get the version of their own subscribed state', async () => {
      await h.ts.set([cla('a', [1]), cla('b'), cla('c')]);
      const lists = [
        ['a', 'b'],
        ['a', 'c'],
        ['a', 'b'],
      ];
      const clients = await Promise.all(lists.map(() => h.connect()));
      await Promise.all(clients.map((c, i) => c.fetch(T.ENDPOINT, lists[i] ?? [])));
      await h.ts.update({ upsert: [cla('a', [2])] });
      const got = await Promise.all(clients.map((c) => c.next(T.ENDPOINT)));
      for (const r of got) assert.deepEqual(r.names, ['a']);
      for (const [i, names] of lists.entries()) {
        const fresh = await h.connect();
        assert.equal(got[i]?.versionInfo, (await fresh.fetch(T.ENDPOINT, names)).versionInfo, `version for [${names.join(', ')}]`);
      }
      assert.notEqual(got[0]?.versionInfo, got[1]?.versionInfo);
    });

    it('B15: a reconnecting wildcard CDS client with an outdated version receives the full current set', async () => {
      await h.ts.set([cluster('a'), cluster('b')]);
      const first = await h.connect();
      const v1 = await first.fetch(T.CLUSTER, []);
      first.close();
      await h.ts.update({ upsert: [cluster('c')], remove: [{ typeUrl: T.CLUSTER, name: 'a' }] });
      const c = await h.connect();
      c.send({ typeUrl: T.CLUSTER, versionInfo: v1.versionInfo, resourceNames: [] });
      assert.deepEqual(sorted(await c.next(T.CLUSTER)), ['b', 'c']);
    });
  });

  describe('A3 and E31. client variants', () => {
    it('A3: a client advertising resource-in-sotw gets its resources bare or wrapped, always of the requested type', async () => {
      await h.ts.set([cluster('a'), cla('a')]);
      const c = await h.connect({ node: { id: 'go-like', clientFeatures: ['envoy.lb.does_not_support_overprovisioning', 'xds.config.resource-in-sotw'] } });
      assert.deepEqual(sorted(await c.fetch(T.CLUSTER, [])), ['a']);
      assert.deepEqual(sorted(await c.fetch(T.ENDPOINT, ['a'])), ['a']);
    });

    it('E31: a gRPC-like client (node once, every type by exact name) converges and gets byte-equal names', async () => {
      await h.ts.set(exampleResources());
      const c = await h.connect({ node: { id: 'grpc-client', clientFeatures: ['envoy.lb.does_not_support_overprovisioning', 'xds.config.resource-in-sotw'] } });
      for (const [typeUrl, name] of [
        [T.LISTENER, EXAMPLE.listener],
        [T.ROUTE, EXAMPLE.route],
        [T.CLUSTER, EXAMPLE.cluster],
        [T.ENDPOINT, EXAMPLE.cluster],
      ] as const) {
        const r = await c.fetch(typeUrl, [name]);
        assert.deepEqual(r.names, [name], typeUrl);
      }
    });
  });
});

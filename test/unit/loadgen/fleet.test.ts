/**
 * The loadgen fleet against a fake ADS server over real gRPC on loopback:
 * Envoy's subscription order, ACKs and NACKs, following changes, latency
 * stamps, reconnects, and per-type streams, for both protocol variants.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { CLUSTER, ENDPOINT, LISTENER, ROUTE } from '../../../src/xds/type-urls';
import { Fleet, FLEET_DEFAULTS, formatStamp, nowMicros } from '../../../loadgen/index';
import type { FleetOptions, Variant } from '../../../loadgen/index';
import { FakeAdsServer, loadAssignmentBytes, startFakeMesh } from './fake-ads-server';
import type { Recorded } from './fake-ads-server';

const WAIT_MS = 15_000;
/** Past the sum of five backoff windows (0.5 + 1 + 2 + 4 + 8 s). */
const RECONNECT_WAIT_MS = 40_000;

function options(port: number, variant: Variant, extra: Partial<FleetOptions> = {}): FleetOptions {
  return { ...FLEET_DEFAULTS, target: `127.0.0.1:${port}`, nodes: 2, variant, workers: 1, initialFetchTimeoutMs: 15_000, ...extra };
}

async function until(predicate: () => boolean, what: string, waitMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** New streams (numbered past `streamsBefore`) that have sent an RDS request since request `since`. */
function reconnectedWithRoutes(server: FakeAdsServer, since: number, streamsBefore: number): number {
  return new Set(
    server.requests
      .slice(since)
      .filter((r) => r.stream > streamsBefore && r.req.typeUrl === ROUTE)
      .map((r) => r.stream),
  ).size;
}

function ofStream(server: FakeAdsServer, stream: number): Recorded['req'][] {
  return server.requests.filter((r) => r.stream === stream).map((r) => r.req);
}

for (const variant of ['sotw', 'delta'] as const) {
  describe(`loadgen fleet over ${variant}`, () => {
    let server: FakeAdsServer;
    let fleet: Fleet | undefined;
    before(async () => {
      server = await startFakeMesh();
    });
    after(async () => {
      await fleet?.stop();
      await server.stop();
    });

    it('reaches full config in Envoy order: CDS wildcard, EDS by name, then LDS, then RDS by name', async () => {
      fleet = Fleet.start(options(server.port, variant));
      assert.equal(await fleet.waitFor(() => fleet!.snapshot().nodes.everSynced === 2, WAIT_MS), true);
      const reqs = ofStream(server, 1);
      const first = reqs[0]!;
      assert.equal(first.typeUrl, CLUSTER);
      assert.match(first.node?.id ?? '', /^node-\d$/);
      assert.equal((first.resourceNames ?? first.resourceNamesSubscribe ?? []).length, 0, 'CDS starts as a wildcard');
      const firstOf = (typeUrl: string): number => reqs.findIndex((r) => r.typeUrl === typeUrl);
      const eds = reqs[firstOf(ENDPOINT)]!;
      assert.deepEqual([...(eds.resourceNames ?? eds.resourceNamesSubscribe ?? [])].sort(), ['c0', 'svc1'], 'EDS names are service_name or cluster name');
      const edsAck = reqs.findIndex((r) => r.typeUrl === ENDPOINT && r.responseNonce);
      assert.ok(firstOf(LISTENER) > edsAck, 'LDS waits until the clusters are warm');
      const rds = reqs[firstOf(ROUTE)]!;
      assert.deepEqual(rds.resourceNames ?? rds.resourceNamesSubscribe, ['r0']);
      assert.equal(reqs.filter((r) => r.node).length, 1, 'node only on the first request of the stream');
    });

    it('ACKs every response with its nonce (and, over SotW, its version and the full names)', () => {
      const reqs = ofStream(server, 1);
      const acks = reqs.filter((r) => r.responseNonce);
      assert.equal(acks.length, 4);
      for (const a of acks) {
        assert.equal(a.errorDetail, undefined);
        if (variant === 'sotw') assert.equal(a.versionInfo, 'v1');
      }
      if (variant === 'sotw') assert.deepEqual(acks.find((a) => a.typeUrl === ENDPOINT)?.resourceNames, ['c0', 'svc1']);
    });

    it('records when each node receives a stamped change', async () => {
      const stamp = formatStamp(1, nowMicros());
      server.set(ENDPOINT, 'c0', loadAssignmentBytes('c0', stamp));
      server.push();
      assert.equal(await fleet!.waitFor(() => (fleet!.round(1)?.received ?? 0) === 2, WAIT_MS), true);
      const r = fleet!.round(1)!;
      assert.equal(r.nackedCount, 0);
      for (const at of r.at) assert.ok(at >= r.stampMicros, 'receipt after the stamp');
    });

    it('tracks convergence of a change that carries no stamp: first node to last, per version', async () => {
      server.set(ENDPOINT, 'c0', loadAssignmentBytes('c0', 'unstamped-host'));
      server.push();
      const seen = (): boolean => fleet!.convergence.summary().slowest.some((v) => v.key.startsWith('eds/c0@') && v.nodes === 2);
      assert.equal(await fleet!.waitFor(seen, WAIT_MS), true, 'both nodes counted under the new eds/c0 version');
      const c = fleet!.convergence.summary();
      const v = c.slowest.find((x) => x.key.startsWith('eds/c0@') && x.nodes === 2)!;
      assert.ok(v.spreadMs >= 0 && v.spreadMs <= c.spreadMs.max);
      assert.ok(c.afterFirstMs.count >= 2 && c.afterFirstMs.min === 0, 'the first node is 0 ms after itself');
      assert.ok(!c.slowest.some((x) => x.key.startsWith('cds/')), 'the initial load is not a change');
    });

    it('unsubscribes the endpoints of a removed cluster', async () => {
      server.resources.get(CLUSTER)!.delete('c1');
      const mark = server.requests.length;
      server.push();
      await until(
        () =>
          server.requests
            .slice(mark)
            .some((r) => r.req.typeUrl === ENDPOINT && r.stream === 1 && (variant === 'sotw' ? (r.req.resourceNames ?? []).join() === 'c0' : (r.req.resourceNamesUnsubscribe ?? []).join() === 'svc1')),
        'EDS unsubscribe',
      );
    });

    it('reconnects after the server drops its streams and replays what it holds', async () => {
      const before = server.requests.length;
      const streamsBefore = Math.max(...server.requests.map((r) => r.stream));
      server.dropStreams();
      // Two streams, not two RDS requests: one node's replay and its ACK are two. (The 15 s that ran out in CI at
      // 8784f51 was a stream the fake server never ended, see FakeAdsServer.dropStreams; the wait stays generous.)
      await until(() => reconnectedWithRoutes(server, before, streamsBefore) >= 2, 'two reconnected nodes', RECONNECT_WAIT_MS);
      const fresh = server.requests.slice(before).filter((r) => r.stream > streamsBefore);
      const cds = fresh.find((r) => r.req.typeUrl === CLUSTER)!.req;
      assert.equal(cds.responseNonce, undefined, 'no nonce on a new stream');
      assert.ok(cds.node, 'node again on the new stream');
      const eds = fresh.find((r) => r.req.typeUrl === ENDPOINT)!.req;
      if (variant === 'sotw') {
        assert.equal(cds.versionInfo, `v${server.revision}`, 'last accepted CDS version');
        assert.deepEqual(eds.resourceNames, ['c0']);
      } else {
        assert.deepEqual(eds.resourceNamesSubscribe, ['c0']);
        assert.deepEqual(Object.keys(eds.initialResourceVersions ?? {}), ['c0'], 'initial_resource_versions of what it holds');
        assert.deepEqual(Object.keys(cds.initialResourceVersions ?? {}), ['c0']);
      }
      assert.equal(await fleet!.waitFor(() => fleet!.snapshot().counters.streamsEnded >= 2, WAIT_MS), true, 'stream ends are counted');
      assert.ok(
        Object.keys(fleet!.snapshot().counters.endReasons).some((r) => r.startsWith('UNAVAILABLE ')),
        'end reasons name the status, not its number',
      );
    });

    it('reconnects when its streams are dropped just after a response was written', async () => {
      const before = server.requests.length;
      const streamsBefore = Math.max(...server.requests.map((r) => r.stream));
      const endedBefore = fleet!.snapshot().counters.streamsEnded;
      server.push(); // a write in flight on every stream that has a SotW subscription
      server.dropStreams();
      await until(() => reconnectedWithRoutes(server, before, streamsBefore) >= 2, 'two reconnected nodes');
      assert.equal(await fleet!.waitFor(() => fleet!.snapshot().counters.streamsEnded >= endedBefore + 2, WAIT_MS), true, 'both stream ends are counted');
    });

    it('does not count a node that lost its stream as in sync', async () => {
      const lonely = await startFakeMesh();
      const f = Fleet.start(options(lonely.port, variant));
      try {
        assert.equal(await f.waitFor(() => f.snapshot().nodes.inSync === 2, WAIT_MS), true);
        lonely.dropStreams();
        await lonely.stop();
        const gone = await f.waitFor(() => f.snapshot().nodes.connected === 0, WAIT_MS);
        assert.equal(gone, true, 'the nodes see their streams end');
        assert.equal(f.snapshot().nodes.inSync, 0, 'disconnected nodes are not in sync');
        assert.equal(f.snapshot().nodes.everSynced, 2);
      } finally {
        await f.stop();
      }
    });

    it('NACKs with error_detail at --nack-rate 1 and never reaches full config', async () => {
      await fleet?.stop();
      const nackServer = await startFakeMesh();
      const nacking = Fleet.start(options(nackServer.port, variant, { nodes: 1, nackRate: 1 }));
      try {
        await until(() => nackServer.requests.some((r) => r.req.errorDetail), 'a NACK');
        const nack = nackServer.requests.find((r) => r.req.errorDetail)!.req;
        assert.equal(nack.typeUrl, CLUSTER);
        assert.equal(nack.errorDetail?.code, 13);
        assert.ok(nack.responseNonce);
        if (variant === 'sotw') assert.equal(nack.versionInfo ?? '', '', 'a SotW NACK repeats the previous accepted version');
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(nacking.snapshot().nodes.everSynced, 0);
        assert.ok(nacking.snapshot().counters.nacks >= 1);
      } finally {
        await nacking.stop();
        await nackServer.stop();
      }
    });

    it('opens one stream per type on the per-type services with --per-type', async () => {
      const perType = await startFakeMesh();
      const f = Fleet.start(options(perType.port, variant, { nodes: 1, ads: false }));
      try {
        assert.equal(await f.waitFor(() => f.snapshot().nodes.everSynced === 1, WAIT_MS), true);
        const paths = new Set(perType.requests.map((r) => r.path));
        const method = variant === 'sotw' ? 'Stream' : 'Delta';
        assert.deepEqual([...paths].sort(), [
          `/envoy.service.cluster.v3.ClusterDiscoveryService/${method}Clusters`,
          `/envoy.service.endpoint.v3.EndpointDiscoveryService/${method}Endpoints`,
          `/envoy.service.listener.v3.ListenerDiscoveryService/${method}Listeners`,
          `/envoy.service.route.v3.RouteDiscoveryService/${method}Routes`,
        ]);
        for (const stream of new Set(perType.requests.map((r) => r.stream))) {
          assert.equal(perType.requests.filter((r) => r.stream === stream && r.req.node).length, 1, 'node once per stream');
        }
      } finally {
        await f.stop();
        await perType.stop();
      }
    });
  });
}

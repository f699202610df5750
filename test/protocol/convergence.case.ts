/**
 * @module test/protocol/convergence.case
 * A scripted Envoy-like client converges on the built-in example config
 * over ADS and over the per-type services (rule E28), and a fan-out check
 * of "encode once, write many" (DESIGN.md principle 1): 100 streams get an
 * update while the encoder runs once per changed resource.
 */
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { endpointPort, hasClusterTimeout } from '../helpers/inspect';
import type { Harness } from '../helpers/harness';
import { EnvoyLike } from '../helpers/envoy-like';
import { AdsClient } from '../helpers/ads-client';
import { T } from '../helpers/service-paths';
import { EXAMPLE, cla, cluster, exampleResources } from '../helpers/server';

const CONVERGE_MS = 10_000;
const FANOUT_STREAMS = 100;
const EXAMPLE_STATE = {
  clusters: [EXAMPLE.cluster],
  endpoints: [EXAMPLE.cluster],
  listeners: [EXAMPLE.listener],
  routes: [EXAMPLE.route],
};

/** Register the convergence and fan-out cases. */
export function convergenceCases(h: Harness): void {
  const start = async (options: { service?: 'ads' | 'per-type'; explicitWildcard?: boolean } = {}): Promise<EnvoyLike> => {
    const envoy = await EnvoyLike.start(h.ts.port, { variant: h.variant, ...options });
    h.onCleanup(() => envoy.close());
    return envoy;
  };

  it('E28: an Envoy-like client (CDS wildcard, EDS by name, LDS wildcard, RDS by name) converges on the example config over ADS', async () => {
    await h.ts.set(exampleResources());
    const envoy = await start();
    await envoy.waitConverged(EXAMPLE_STATE, CONVERGE_MS);
    assert.equal(envoy.error, undefined);
  });

  it('E28: the Envoy-like client converges over the per-type services (one stream per type)', async () => {
    await h.ts.set(exampleResources());
    const envoy = await start({ service: 'per-type' });
    await envoy.waitConverged(EXAMPLE_STATE, CONVERGE_MS);
    assert.equal(envoy.streams.length, 4);
  });

  it("E28: asking for '*' converges on the same config as the legacy empty list", async () => {
    await h.ts.set(exampleResources());
    const legacy = await start();
    const explicit = await start({ explicitWildcard: true });
    await legacy.waitConverged(EXAMPLE_STATE, CONVERGE_MS);
    await explicit.waitConverged(EXAMPLE_STATE, CONVERGE_MS);
    assert.deepEqual(explicit.summary(), legacy.summary());
  });

  it('E28: an endpoint change reaches converged Envoy-like clients on ADS and on per-type services', async () => {
    await h.ts.set(exampleResources());
    const ads = await start();
    const perType = await start({ service: 'per-type' });
    await ads.waitConverged(EXAMPLE_STATE, CONVERGE_MS);
    await perType.waitConverged(EXAMPLE_STATE, CONVERGE_MS);
    await h.ts.update({ upsert: [cla(EXAMPLE.cluster, [9090])] });
    for (const envoy of [ads, perType]) {
      await envoy.waitUntil(() => endpointPort(envoy.endpoints.get(EXAMPLE.cluster)) === 9090, CONVERGE_MS, 'endpoint port 9090');
    }
  });

  it('encode once: 100 streams receive an update while resourcesEncoded grows only by the changed resources', async () => {
    const names = ['c0', 'c1', 'c2', 'c3', 'c4'];
    await h.ts.set(names.map((n) => cluster(n)));
    const clients: AdsClient[] = await Promise.all(Array.from({ length: FANOUT_STREAMS }, (_, i) => h.connect({ node: { id: `fan-${i}`, cluster: 'fan' } })));
    await Promise.all(clients.map((c) => c.fetch(T.CLUSTER, [])));
    const before = h.ts.server.stats().resourcesEncoded;
    await h.ts.update({ upsert: [cluster('c1', { timeoutSeconds: 4 }), cluster('c3', { timeoutSeconds: 4 })] });
    const changed = (c: AdsClient) => c.until(T.CLUSTER, (r) => hasClusterTimeout(r, 'c3', 4), { ack: true, timeoutMs: 10_000 });
    await Promise.all(clients.map(changed));
    const encoded = h.ts.server.stats().resourcesEncoded - before;
    assert.equal(encoded, 2, `encoded ${encoded} resources for 2 changed clusters across ${FANOUT_STREAMS} streams`);
  });
}

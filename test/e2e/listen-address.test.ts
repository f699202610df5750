/**
 * @module test/e2e/listen-address.test
 * Where the server listens by default. Envoy bootstraps that name
 * `localhost` reach `::1` first on most hosts, so the default must accept
 * IPv6 as well as IPv4 (issue 9 item 19).
 */
import { after, before, test } from 'node:test';
import type { TestContext } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { createXdsServer } from '../../src/index';
import type { XdsServer } from '../../src/index';
import { AdsClient } from '../helpers/ads-client';
import { T } from '../helpers/service-paths';
import { EXAMPLE, exampleResources } from '../helpers/resources';

let server: XdsServer | undefined;

before(async () => {
  // No host: the default under test.
  server = await createXdsServer({ port: 0, workers: 1 });
  const result = await server.setResources(exampleResources());
  assert.equal(result.ok, true);
});

after(async () => {
  await server?.stop();
});

/** Whether this machine can bind its IPv6 loopback at all (some containers have no IPv6). */
function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '::1', port: 0 }, () => probe.close(() => resolve(true)));
  });
}

/** Open an ADS stream to `host` on the default server and fetch the clusters. */
async function clustersVia(host: string): Promise<readonly string[]> {
  const c = await AdsClient.connect(server?.port ?? 0, { variant: 'sotw', host });
  try {
    return (await c.fetch(T.CLUSTER, [])).names;
  } finally {
    c.close();
  }
}

test('by default the server accepts xDS streams on IPv4 loopback 127.0.0.1', async () => {
  assert.deepEqual(await clustersVia('127.0.0.1'), [EXAMPLE.cluster]);
});

test('by default the server accepts xDS streams on IPv6 loopback ::1 (where localhost resolves first)', async (t: TestContext) => {
  if (!(await hasIpv6Loopback())) {
    t.skip('this machine has no IPv6 loopback (::1 cannot be bound), so there is no IPv6 path to test');
    return;
  }
  assert.deepEqual(await clustersVia('::1'), [EXAMPLE.cluster]);
});

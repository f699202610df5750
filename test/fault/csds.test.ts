/**
 * @module test/fault/csds.test
 * CSDS (envoy.service.status.v3.ClientStatusDiscoveryService) answers which
 * config a node actually has: after one node ACKs and another NACKs the
 * same push, any CSDS client sees ACKED for the first and NACKED, with the
 * NACK's message, for the second.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AdsClient } from '../helpers/ads-client';
import { CsdsClient } from '../helpers/csds-client';
import type { ClientConfig, GenericConfig } from '../helpers/csds-client';
import { cluster, startServer, waitFor } from '../helpers/server';
import { T } from '../helpers/service-paths';

const DEADLINE_MS = 5_000;

function statusOf(configs: readonly ClientConfig[], node: string, name: string): GenericConfig | undefined {
  return configs.find((c) => c.node?.id === node)?.genericXdsConfigs?.find((g) => g.typeUrl === T.CLUSTER && g.name === name);
}

test('CSDS shows, per node and resource, ACKED for a node that accepted a push and NACKED with the error for one that rejected it', async () => {
  // This test polls CSDS every 10 ms: above the default request rate.
  const ts = await startServer({ resources: [cluster('csds-a')], csds: { requestsPerSecond: 1_000 } });
  const csds = new CsdsClient(ts.port);
  const good = await AdsClient.connect(ts.port, { variant: 'sotw', node: { id: 'csds-good' } });
  const bad = await AdsClient.connect(ts.port, { variant: 'delta', node: { id: 'csds-bad' } });
  try {
    await good.fetch(T.CLUSTER, []);
    await bad.fetch(T.CLUSTER, []);
    await ts.update({ upsert: [cluster('csds-a', { timeoutSeconds: 7 })] });
    good.ack(await good.next(T.CLUSTER));
    bad.nack(await bad.next(T.CLUSTER), 'csds test rejects this cluster');

    let all: ClientConfig[] = [];
    await waitFor(
      async () => {
        all = (await csds.fetchNode()).config;
        return statusOf(all, 'csds-good', 'csds-a')?.clientStatus === 'ACKED' && statusOf(all, 'csds-bad', 'csds-a')?.clientStatus === 'NACKED';
      },
      DEADLINE_MS,
      'CSDS to show csds-good ACKED and csds-bad NACKED',
    );
    const goodStatus = statusOf(all, 'csds-good', 'csds-a');
    const badStatus = statusOf(all, 'csds-bad', 'csds-a');
    assert.equal(goodStatus?.configStatus, 'SYNCED');
    assert.equal(badStatus?.configStatus, 'ERROR');
    assert.equal(badStatus?.errorState?.details, 'csds test rejects this cluster');
    assert.equal(goodStatus?.versionInfo, badStatus?.versionInfo, 'both are reported against the version being served');

    const onlyBad = (await csds.fetchNode('csds-bad')).config;
    assert.deepEqual(
      onlyBad.map((c) => c.node?.id),
      ['csds-bad'],
      'the node matcher filters',
    );
    const streamed = await csds.stream([{ nodeMatchers: [{ nodeId: { exact: 'csds-good' } }] }]);
    assert.equal(statusOf(streamed.answers[0]?.config ?? [], 'csds-good', 'csds-a')?.clientStatus, 'ACKED', 'StreamClientStatus agrees');
    console.log(`[fault] CSDS: csds-good ${goodStatus?.clientStatus}/${goodStatus?.configStatus}, csds-bad ${badStatus?.clientStatus}/${badStatus?.configStatus} "${badStatus?.errorState?.details}"`);
  } finally {
    good.close();
    bad.close();
    csds.close();
    await ts.stop();
  }
});

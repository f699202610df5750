/**
 * @module test/fault/csds.test
 * CSDS (envoy.service.status.v3.ClientStatusDiscoveryService) answers which
 * config a node actually has: after one node ACKs and another NACKs the
 * same push, any CSDS client sees ACKED for the first and NACKED, with the
 * NACK's message, for the second.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '../../src/xds/proto-root';
import { AdsClient } from '../helpers/ads-client';
import { cluster, startServer, waitFor } from '../helpers/server';
import { T } from '../helpers/service-paths';

const SERVICE = '/envoy.service.status.v3.ClientStatusDiscoveryService/';
const DEADLINE_MS = 5_000;

interface GenericConfig {
  typeUrl?: string;
  name?: string;
  versionInfo?: string;
  clientStatus?: string;
  configStatus?: string;
  errorState?: { details?: string };
}
interface ClientConfig {
  node?: { id?: string };
  genericXdsConfigs?: GenericConfig[];
}

/** A CSDS client over @grpc/grpc-js with protobufjs (de)serialisation from the Envoy proto root. */
class CsdsClient {
  readonly #client: grpc.Client;
  readonly #encode: (m: object) => Buffer;
  readonly #decode: (b: Buffer) => { config?: ClientConfig[] };

  constructor(port: number) {
    const root = loadProtoRoot();
    const Req = root.lookupType('envoy.service.status.v3.ClientStatusRequest');
    const Res = root.lookupType('envoy.service.status.v3.ClientStatusResponse');
    this.#encode = (m) => Buffer.from(Req.encode(Req.fromObject(m)).finish());
    this.#decode = (b) => Res.toObject(Res.decode(b), { enums: String, longs: String }) as { config?: ClientConfig[] };
    this.#client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  /** FetchClientStatus for node ids matching `exact` (all nodes when undefined). */
  fetch(exact?: string): Promise<ClientConfig[]> {
    const req = exact === undefined ? {} : { nodeMatchers: [{ nodeId: { exact } }] };
    return new Promise((resolve, reject) =>
      this.#client.makeUnaryRequest(`${SERVICE}FetchClientStatus`, this.#encode, this.#decode, req, (err, res) => (err ? reject(err) : resolve(res?.config ?? []))),
    );
  }

  /** One round trip on StreamClientStatus. */
  stream(exact: string): Promise<ClientConfig[]> {
    const call = this.#client.makeBidiStreamRequest(`${SERVICE}StreamClientStatus`, this.#encode, this.#decode);
    return new Promise((resolve, reject) => {
      call.once('data', (res: { config?: ClientConfig[] }) => {
        resolve(res.config ?? []);
        call.end();
      });
      call.once('error', reject);
      call.write({ nodeMatchers: [{ nodeId: { exact } }] });
    });
  }

  close(): void {
    this.#client.close();
  }
}

function statusOf(configs: readonly ClientConfig[], node: string, name: string): GenericConfig | undefined {
  return configs.find((c) => c.node?.id === node)?.genericXdsConfigs?.find((g) => g.typeUrl === T.CLUSTER && g.name === name);
}

test('CSDS shows, per node and resource, ACKED for a node that accepted a push and NACKED with the error for one that rejected it', async () => {
  const ts = await startServer({ resources: [cluster('csds-a')] });
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
    await waitFor(async () => {
      all = await csds.fetch();
      return statusOf(all, 'csds-good', 'csds-a')?.clientStatus === 'ACKED' && statusOf(all, 'csds-bad', 'csds-a')?.clientStatus === 'NACKED';
    }, DEADLINE_MS, 'CSDS to show csds-good ACKED and csds-bad NACKED');
    const goodStatus = statusOf(all, 'csds-good', 'csds-a');
    const badStatus = statusOf(all, 'csds-bad', 'csds-a');
    assert.equal(goodStatus?.configStatus, 'SYNCED');
    assert.equal(badStatus?.configStatus, 'ERROR');
    assert.equal(badStatus?.errorState?.details, 'csds test rejects this cluster');
    assert.equal(goodStatus?.versionInfo, badStatus?.versionInfo, 'both are reported against the version being served');

    const onlyBad = await csds.fetch('csds-bad');
    assert.deepEqual(onlyBad.map((c) => c.node?.id), ['csds-bad'], 'the node matcher filters');
    const streamed = await csds.stream('csds-good');
    assert.equal(statusOf(streamed, 'csds-good', 'csds-a')?.clientStatus, 'ACKED', 'StreamClientStatus agrees');
    console.log(`[fault] CSDS: csds-good ${goodStatus?.clientStatus}/${goodStatus?.configStatus}, csds-bad ${badStatus?.clientStatus}/${badStatus?.configStatus} "${badStatus?.errorState?.details}"`);
  } finally {
    good.close();
    bad.close();
    csds.close();
    await ts.stop();
  }
});

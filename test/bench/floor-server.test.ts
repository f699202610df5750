/**
 * The floor server (bench/floor) over real gRPC on loopback, started the way
 * the bench starts it: it must keep an Envoy-like client in sync on both
 * variants, write only what changed, and survive any input.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Mesh } from '../../bench/scenarios';
import { ServerProcess } from '../../bench/server-process';
import { FLOOR_MAIN } from '../../bench/variant-run';
import { AdsClient } from '../helpers/ads-client';
import { T } from '../helpers/service-paths';

/** How long a stream must stay quiet to count as "no response". */
const QUIET_MS = 300;
/** How long a config change may take to be applied. */
const APPLY_TIMEOUT_MS = 10_000;

describe('floor server', () => {
  let dir: string;
  let file: string;
  let mesh: Mesh;
  let server: ServerProcess;
  let port: number;
  const clients: AdsClient[] = [];
  const connect = async (variant: 'sotw' | 'delta'): Promise<AdsClient> => {
    const c = await AdsClient.connect(port, { variant });
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floor-test-'));
    file = path.join(dir, 'mesh.json');
    mesh = new Mesh({ clusters: 3, endpoints: 2, listeners: 1, routes: 1 });
    fs.writeFileSync(file, mesh.toConfigText());
    server = await ServerProcess.start(file, { logLevel: 'info', script: FLOOR_MAIN });
    port = Number(server.target.split(':')[1]);
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const variant of ['sotw', 'delta'] as const) {
    it(`answers a ${variant} stream's first request per type with every resource of the type, and stays silent on ACKs and resubscriptions`, async () => {
      const c = await connect(variant);
      const cds = await c.fetch(T.CLUSTER, []);
      assert.deepEqual([...cds.names].sort(), ['cluster-0', 'cluster-1', 'cluster-2']);
      assert.ok(cds.nonce.length > 0);
      const eds = await c.fetch(T.ENDPOINT, ['cluster-0']);
      assert.deepEqual([...eds.names].sort(), ['cluster-0', 'cluster-1', 'cluster-2'], 'the pre-built response holds every ClusterLoadAssignment');
      assert.notEqual(eds.nonce, cds.nonce);
      c.subscribe(T.ENDPOINT, ['cluster-1']);
      await c.expectSilence(QUIET_MS);
    });
  }

  it('writes only what changed after a config change: SotW gets the full cluster set, delta the new cluster alone, both the new endpoints', async () => {
    const sotw = await connect('sotw');
    const delta = await connect('delta');
    for (const c of [sotw, delta]) {
      await c.fetch(T.CLUSTER, []);
      await c.fetch(T.ENDPOINT, ['cluster-0', 'cluster-1', 'cluster-2']);
    }
    const lds = await connect('delta');
    await lds.fetch(T.LISTENER, []);

    const writtenAt = Date.now();
    mesh.applyChange('cluster', 1, writtenAt * 1000);
    fs.writeFileSync(file, mesh.toConfigText());
    const applied = await server.waitApplied(writtenAt, APPLY_TIMEOUT_MS);
    assert.ok(applied?.ok, 'the floor logged "configuration applied"');

    const sotwCds = await sotw.next(T.CLUSTER);
    assert.equal(sotwCds.names.length, 4, 'SotW CDS carries the full set');
    const sotwEds = await sotw.next(T.ENDPOINT);
    assert.deepEqual(sotwEds.names, ['cluster-new-1']);
    const deltaCds = await delta.next(T.CLUSTER);
    assert.deepEqual(deltaCds.names, ['cluster-new-1']);
    const deltaEds = await delta.next(T.ENDPOINT);
    assert.deepEqual(deltaEds.names, ['cluster-new-1']);
    assert.ok(sotwCds.index < sotwEds.index && deltaCds.index < deltaEds.index, 'clusters before their endpoints');
    await lds.expectSilence(QUIET_MS);
  });

  it('reports removals to delta streams in removed_resources', async () => {
    const lds = await connect('delta');
    await lds.fetch(T.LISTENER, []);
    await lds.fetch(T.ROUTE, ['route-0']);
    const commit = async (round: number): Promise<void> => {
      const writtenAt = Date.now();
      mesh.applyChange('listener', round, writtenAt * 1000);
      fs.writeFileSync(file, mesh.toConfigText());
      assert.ok((await server.waitApplied(writtenAt, APPLY_TIMEOUT_MS))?.ok);
    };
    await commit(2); // listener-0 → new route-l0-r2
    assert.deepEqual((await lds.next(T.LISTENER)).names, ['listener-0']);
    assert.deepEqual((await lds.next(T.ROUTE)).names, ['route-l0-r2']);
    await commit(3); // listener-0 → new route-l0-r3; route-l0-r2 is deleted
    assert.deepEqual((await lds.next(T.LISTENER)).names, ['listener-0']);
    const routes = await lds.next(T.ROUTE);
    assert.deepEqual(routes.names, ['route-l0-r3']);
    assert.deepEqual(routes.removed, ['route-l0-r2']);
  });

  it('keeps serving after malformed requests, unknown types and half-closes', async () => {
    const bad = await connect('sotw');
    bad.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    bad.sendRaw(Buffer.from([0x22, 0x7f, 0x01]));
    bad.send({ typeUrl: 'type.googleapis.com/no.such.Type' });
    const unknown = await bad.next('type.googleapis.com/no.such.Type');
    assert.equal(unknown.resources.length, 0, 'an unknown type gets an empty response');
    bad.halfClose();
    assert.equal((await bad.ended()).code, 0, 'a half-close ends the stream with OK');
    const good = await connect('delta');
    assert.equal((await good.fetch(T.CLUSTER, [])).resources.length, 4);
    assert.equal(server.exitInfo, undefined, 'the floor is still running');
  });
});

/**
 * @module test/fault/nack-loop.test
 * A client that rejects every response must not drive the server into a
 * re-push loop (docs/protocol.md B8: after a NACK keep the watch, do not
 * resend that version). It gets exactly one new response per real change.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AdsClient } from '../helpers/ads-client';
import type { Received } from '../helpers/ads-client';
import { cla, cluster, startServer } from '../helpers/server';
import { T } from '../helpers/service-paths';

/** Long enough for a re-push loop (debounce + round trip is a few ms) to show hundreds of responses. */
const QUIET_WINDOW_MS = 1_000;

interface Case {
  readonly name: string;
  readonly variant: 'sotw' | 'delta';
  /** SotW NACK version: Envoy sends its last accepted version, grpc-node may send the rejected one (rule B7). */
  readonly nackWithRejectedVersion?: boolean;
}

const CASES: readonly Case[] = [
  { name: 'a SotW client NACKing Envoy-style (last accepted version)', variant: 'sotw' },
  { name: 'a SotW client NACKing grpc-node-style (the rejected version)', variant: 'sotw', nackWithRejectedVersion: true },
  { name: 'a delta client', variant: 'delta' },
];

for (const c of CASES) {
  test(`${c.name} that NACKs everything gets no re-push loop, and exactly one response per real change`, async () => {
    const ts = await startServer({ resources: [cluster('eds-a', { eds: true }), cla('eds-a'), cluster('static-b')] });
    const client = await AdsClient.connect(ts.port, { variant: c.variant, node: { id: `nacker-${c.variant}` } });
    const nack = (r: Received, what: string): void => client.nack(r, `rejecting ${what} on purpose`, c.nackWithRejectedVersion ? { version: r.versionInfo } : {});
    try {
      client.subscribe(T.CLUSTER, []);
      nack(await client.next(T.CLUSTER), 'clusters');
      client.subscribe(T.ENDPOINT, ['eds-a']);
      nack(await client.next(T.ENDPOINT), 'endpoints');
      const afterNacks = client.responses.length;

      await client.expectSilence(QUIET_WINDOW_MS);
      // A buggy client repeating the same NACK must not trigger anything either.
      const lastCds = client.responses.filter((r) => r.typeUrl === T.CLUSTER).at(-1);
      assert.ok(lastCds);
      nack(lastCds, 'clusters again');
      nack(lastCds, 'clusters again');
      await client.expectSilence(QUIET_WINDOW_MS / 2);
      assert.equal(client.responses.length, afterNacks, 'responses after the NACKs, while nothing changed');

      // A real change: one new CDS response (static-b is not an EDS cluster, so no EDS push), NACKed again.
      await ts.update({ upsert: [cluster('static-b', { timeoutSeconds: 2 })] });
      const pushed = await client.next(T.CLUSTER);
      assert.ok(pushed.names.includes('static-b'));
      nack(pushed, 'the change');
      await client.expectSilence(QUIET_WINDOW_MS / 2);
      assert.equal(client.responses.length, afterNacks + 1, 'exactly one response for one change');

      // And a change to the NACKed endpoints still reaches the client, once.
      await ts.update({ upsert: [cla('eds-a', [9090])] });
      const eds = await client.next(T.ENDPOINT);
      assert.deepEqual(eds.names, ['eds-a']);
      nack(eds, 'the endpoint change');
      await client.expectSilence(QUIET_WINDOW_MS / 2);
      assert.equal(client.responses.length, afterNacks + 2);
      const stats = ts.server.stats();
      assert.ok(stats.nacks >= 6, `server counted ${stats.nacks} NACKs`);
      console.log(`[fault] NACK loop (${c.name}): ${client.responses.length} responses in total over ${(2.5 * QUIET_WINDOW_MS) / 1000} s of silence checks; server counted ${stats.nacks} NACKs`);
    } finally {
      client.close();
      await ts.stop();
    }
  });
}

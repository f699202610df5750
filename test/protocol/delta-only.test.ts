/**
 * @module test/protocol/delta-only.test
 * Rules that exist only in the incremental variant (C16–C22, C24 of
 * docs/protocol.md) and the delta-only bad input: one name subscribed and
 * unsubscribed in the same request (F34; our rule: unsubscribe wins,
 * applied after subscribe as go-control-plane does).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { timeoutOf } from '../helpers/inspect';
import { useHarness } from '../helpers/harness';
import type { AdsClient, Received } from '../helpers/ads-client';
import { T } from '../helpers/service-paths';
import { cla, cluster, delay, route, virtualHost, waitFor } from '../helpers/server';

const SILENCE_MS = 400;
/**
 * A response that must come: long, so a busy CI machine cannot fail a test
 * that a missing response still fails. Promptness (rule C21) is asserted by
 * which response carries a report, not by a clock.
 */
const MUST_ARRIVE_MS = 10_000;

function sorted(names: readonly string[]): string[] {
  return [...names].sort();
}

/** Collect names from responses of a type (ACKing each) until `done` holds. */
async function collect(
  c: AdsClient,
  typeUrl: string,
  done: (got: { names: Set<string>; removed: Set<string> }) => boolean,
  timeoutMs = MUST_ARRIVE_MS,
): Promise<{ names: Set<string>; removed: Set<string> }> {
  const got = { names: new Set<string>(), removed: new Set<string>() };
  await c.until(
    typeUrl,
    (r) => {
      r.names.forEach((n) => got.names.add(n));
      r.removed.forEach((n) => got.removed.add(n));
      return done(got);
    },
    { ack: true, timeoutMs },
  );
  return got;
}

let probes = 0;

/**
 * Resolve once the server has handled every request sent so far on `c`'s
 * stream: subscribe a name that exists nowhere on another type and wait for
 * its rule-C21 report, which the server sends only after handling the
 * requests before it (a stream's requests are handled in order). For
 * requests that bring no response of their own, where a bare sleep could
 * end before the server saw them on a busy machine.
 */
async function processed(c: AdsClient, otherType: string): Promise<void> {
  const name = `probe-${++probes}`;
  c.subscribe(otherType, [name]);
  await c.until(otherType, (r) => r.removed.includes(name), { ack: true, timeoutMs: MUST_ARRIVE_MS });
}

/** Drain and ACK what arrived within `ms`, returning it. */
async function settle(c: AdsClient, ms = SILENCE_MS / 2): Promise<Received[]> {
  await delay(ms);
  const got = c.drain();
  got.forEach((r) => c.ack(r));
  return got;
}

describe('xDS delta only', () => {
  const h = useHarness('delta');
  const nacks = (): number => h.ts.server.stats().nacks;

  describe('C16–C18. requests, wildcard, nonces', () => {
    it('C16: an ACK that also subscribes B sends B', async () => {
      await h.ts.set([cla('a'), cla('b')]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['a']);
      const first = await c.next(T.ENDPOINT);
      c.send({ typeUrl: T.ENDPOINT, responseNonce: first.nonce, resourceNamesSubscribe: ['b'] });
      const r = await c.next(T.ENDPOINT);
      assert.deepEqual(r.names, ['b']);
    });

    it('C16: repeated ACKs with empty lists bring no response', async () => {
      await h.ts.set([cla('a')]);
      const c = await h.connect();
      const r = await c.fetch(T.ENDPOINT, ['a']);
      for (let i = 0; i < 5; i++) c.ack(r);
      await c.expectSilence(SILENCE_MS);
    });

    it('C17: a first CDS request with both lists empty subscribes to every cluster', async () => {
      await h.ts.set([cluster('a'), cluster('b')]);
      const c = await h.connect();
      assert.deepEqual(sorted((await c.fetch(T.CLUSTER, [])).names), ['a', 'b']);
    });

    it("C17: subscribing '*' gets every cluster, like the legacy empty request", async () => {
      await h.ts.set([cluster('a'), cluster('b')]);
      const c = await h.connect();
      assert.deepEqual(sorted((await c.fetch(T.CLUSTER, ['*'])).names), ['a', 'b']);
    });

    it('C17: an initial wildcard with no clusters is answered with an empty response', async () => {
      await h.ts.set([cla('x')]);
      const c = await h.connect();
      const r = await c.fetch(T.CLUSTER, []);
      assert.deepEqual([...r.names, ...r.removed], []);
    });

    it('C17: a named subscribe after the legacy wildcard keeps the wildcard', async () => {
      await h.ts.set([cluster('a'), cluster('b')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, []);
      c.subscribe(T.CLUSTER, ['a']);
      await settle(c);
      await h.ts.update({ upsert: [cluster('new')] });
      await c.until(T.CLUSTER, (r) => r.names.includes('new'), { ack: true });
    });

    it("C17: unsubscribing '*' leaves only the explicitly named clusters", async () => {
      await h.ts.set([cluster('a'), cluster('b')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, []);
      c.subscribe(T.CLUSTER, ['a']);
      await settle(c);
      c.unsubscribe(T.CLUSTER, ['*']);
      // Unsubscribing '*' brings no response: make sure it was handled before the update below.
      await processed(c, T.ENDPOINT);
      await settle(c);
      const mark = c.responses.length;
      await h.ts.update({ upsert: [cluster('a', { timeoutSeconds: 2 }), cluster('b', { timeoutSeconds: 2 })] });
      await c.until(T.CLUSTER, (x) => timeoutOf(x, 'a') === 2, { ack: true });
      await settle(c);
      assert.ok(!c.responses.slice(mark).some((x) => x.names.includes('b')), 'b is no longer subscribed');
    });

    it('C18: a subscription sent with a stale nonce is still applied', async () => {
      await h.ts.set([cla('a', [1]), cla('b')]);
      const c = await h.connect();
      const n1 = await c.fetch(T.ENDPOINT, ['a']);
      await h.ts.update({ upsert: [cla('a', [2])] });
      const n2 = await c.next(T.ENDPOINT); // N1 is now stale
      c.send({ typeUrl: T.ENDPOINT, responseNonce: n1.nonce, resourceNamesSubscribe: ['b'] });
      // The server may hold responses of a type until its last one is ACKed (DESIGN.md "latest wins");
      // this plain ACK subscribes nothing, so b can only come from the stale-nonce request.
      c.ack(n2);
      await c.until(T.ENDPOINT, (r) => r.names.includes('b'), { ack: true });
    });

    // An ACK holding only type_url and response_nonce is settled from its bytes (transport/plain-ack.ts): the same rules must hold.
    it('C18: a plain ACK with a stale nonce releases nothing held; one with the latest nonce releases it', async () => {
      await h.ts.set([cla('a', [1])]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['a']);
      const v1 = await c.next(T.ENDPOINT);
      await h.ts.update({ upsert: [cla('a', [2])] });
      // v1 is not ACKed yet: the change is held behind it.
      c.send({ typeUrl: T.ENDPOINT, responseNonce: `${v1.nonce}x` });
      c.send({ typeUrl: T.ENDPOINT, responseNonce: v1.nonce.slice(0, -1) || 'x' });
      await c.expectSilence(SILENCE_MS);
      c.send({ typeUrl: T.ENDPOINT, responseNonce: v1.nonce });
      const v2 = await c.next(T.ENDPOINT);
      assert.deepEqual(v2.names, ['a']);
      assert.notEqual(v2.resources[0]?.version, v1.resources[0]?.version);
    });

    it('C18: a plain ACK for a type the stream never requested starts that type (a first request, not an ACK)', async () => {
      await h.ts.set([cluster('a'), cluster('b'), cla('e')]);
      const c = await h.connect();
      await c.fetch(T.ENDPOINT, ['e']);
      // Shaped like an ACK, but CDS has no state on this stream: it is CDS's first request (legacy wildcard, C17).
      c.send({ typeUrl: T.CLUSTER, responseNonce: 'never-sent' });
      assert.deepEqual(sorted((await c.next(T.CLUSTER)).names), ['a', 'b']);
    });

    it('C18: a plain ACK as the very first request of a stream starts the stream and the type', async () => {
      await h.ts.set([cluster('a')]);
      const c = await h.connect({ node: null });
      c.send({ typeUrl: T.CLUSTER, responseNonce: 'from-another-server' });
      assert.deepEqual((await c.next(T.CLUSTER)).names, ['a']);
    });

    it('A1: a per-type delta service refuses a plain ACK that names another type', async () => {
      await h.ts.set([cluster('a')]);
      const c = await h.connect({ service: 'per-type', typeUrl: T.CLUSTER });
      const r = await c.fetch(T.CLUSTER, []);
      c.send({ typeUrl: T.ENDPOINT, responseNonce: r.nonce });
      const status = await c.ended();
      assert.equal(status.code, 3, `INVALID_ARGUMENT expected, got ${status.code} "${status.details}"`);
    });

    it('C18: a NACK is recorded, the rejected version is not resent, and the next change is sent', async () => {
      await h.ts.set([cla('a', [1])]);
      const c = await h.connect();
      await c.fetch(T.ENDPOINT, ['a']);
      await h.ts.update({ upsert: [cla('a', [2])] });
      const v2 = await c.next(T.ENDPOINT);
      const before = nacks();
      c.nack(v2, 'rejected by test');
      await waitFor(() => nacks() === before + 1, MUST_ARRIVE_MS, 'the NACK to be counted');
      await c.expectSilence(SILENCE_MS);
      await h.ts.update({ upsert: [cla('a', [3])] });
      const v3 = await c.next(T.ENDPOINT);
      assert.deepEqual(v3.names, ['a']);
      assert.notEqual(v3.resources[0]?.version, v2.resources[0]?.version);
    });
  });

  describe('C19–C21. versions, unsubscribe, nonexistence', () => {
    it('C19: changing 1 of 100 subscribed clusters sends only that cluster', async () => {
      const names = Array.from({ length: 100 }, (_, i) => `c${i}`);
      await h.ts.set(names.map((n) => cluster(n)));
      const c = await h.connect();
      assert.equal((await c.fetch(T.CLUSTER, [])).names.length, 100);
      await h.ts.update({ upsert: [cluster('c42', { timeoutSeconds: 5 })] });
      const r = await c.next(T.CLUSTER);
      assert.deepEqual(r.names, ['c42']);
    });

    it('C19: re-subscribing a held name resends it', async () => {
      await h.ts.set([cla('a')]);
      const c = await h.connect();
      const first = await c.fetch(T.ENDPOINT, ['a']);
      c.subscribe(T.ENDPOINT, ['a']);
      const again = await c.next(T.ENDPOINT);
      assert.deepEqual(again.names, ['a']);
      assert.equal(again.resources[0]?.version, first.resources[0]?.version);
    });

    it('C19: the same content has the same version on two streams', async () => {
      await h.ts.set([cla('a', [1, 2])]);
      const one = await h.connect();
      const two = await h.connect({ node: { id: 'other-node', cluster: 'other' } });
      const v1 = (await one.fetch(T.ENDPOINT, ['a'])).resources[0]?.version;
      const v2 = (await two.fetch(T.ENDPOINT, ['a'])).resources[0]?.version;
      assert.ok(v1);
      assert.equal(v1, v2);
    });

    it('C20: unsubscribing a name brings no response and stops its updates', async () => {
      await h.ts.set([cla('a'), cla('b')]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['a', 'b']);
      await collect(c, T.ENDPOINT, (g) => g.names.has('a') && g.names.has('b'));
      c.unsubscribe(T.ENDPOINT, ['a']);
      await c.expectSilence(SILENCE_MS);
      await h.ts.update({ upsert: [cla('a', [5]), cla('b', [5])] });
      const r = await c.next(T.ENDPOINT);
      assert.deepEqual(r.names, ['b']);
    });

    it('C20: unsubscribing a never-subscribed name is ignored', async () => {
      await h.ts.set([cla('a')]);
      const c = await h.connect();
      await c.fetch(T.ENDPOINT, ['a']);
      c.unsubscribe(T.ENDPOINT, ['never-subscribed']);
      await c.expectSilence(SILENCE_MS);
      await h.ts.update({ upsert: [cla('a', [5])] });
      assert.deepEqual((await c.next(T.ENDPOINT)).names, ['a']);
    });

    it('C20: with a wildcard, unsubscribing a name the wildcard covers sends it again in resources', async () => {
      await h.ts.set([cluster('a'), cluster('b')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, ['*']);
      c.subscribe(T.CLUSTER, ['a']);
      // Rule C19 resends a held name on re-subscribing: wait for that, so the answer below is the unsubscribe's.
      await collect(c, T.CLUSTER, (g) => g.names.has('a'), MUST_ARRIVE_MS);
      c.unsubscribe(T.CLUSTER, ['a']);
      const r = await c.next(T.CLUSTER, { timeoutMs: MUST_ARRIVE_MS });
      assert.ok(r.names.includes('a'), `got resources [${r.names.join(',')}] removed [${r.removed.join(',')}]`);
    });

    it('C20: with a wildcard, unsubscribing a name the wildcard does not cover sends it in removed_resources', async () => {
      await h.ts.set([cluster('a')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, ['*']);
      c.subscribe(T.CLUSTER, ['ghost']);
      // Rule C21 reports the missing name once: wait for that, so the answer below is the unsubscribe's.
      await collect(c, T.CLUSTER, (g) => g.removed.has('ghost'), MUST_ARRIVE_MS);
      c.unsubscribe(T.CLUSTER, ['ghost']);
      const r = await c.next(T.CLUSTER, { timeoutMs: MUST_ARRIVE_MS });
      assert.ok(r.removed.includes('ghost'), `got resources [${r.names.join(',')}] removed [${r.removed.join(',')}]`);
    });

    it('C21: subscribing a name that does not exist reports it in removed_resources of the response to that request', async () => {
      await h.ts.set([cla('a')]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['a', 'ghost']);
      // "Promptly" without a clock: the report rides with the answer to the request, never after a wait of its own.
      const r = await c.next(T.ENDPOINT, { timeoutMs: MUST_ARRIVE_MS });
      assert.deepEqual(r.names, ['a']);
      assert.deepEqual(r.removed, ['ghost']);
    });

    it('C21: a name reported missing is pushed once it is created', async () => {
      await h.ts.set([cla('a')]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['ghost']);
      await collect(c, T.ENDPOINT, (g) => g.removed.has('ghost'), MUST_ARRIVE_MS);
      await h.ts.update({ upsert: [cla('ghost')] });
      await c.until(T.ENDPOINT, (r) => r.names.includes('ghost'), { ack: true });
    });

    it('C21: deleting a subscribed CLA reports it in removed_resources', async () => {
      await h.ts.set([cla('a'), cla('b')]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['a', 'b']);
      await collect(c, T.ENDPOINT, (g) => g.names.has('a') && g.names.has('b'));
      await h.ts.update({ remove: [{ typeUrl: T.ENDPOINT, name: 'a' }] });
      const r = await c.next(T.ENDPOINT);
      assert.deepEqual(r.removed, ['a']);
      assert.deepEqual(r.names, []);
    });

    it('C21: deleting a cluster reports it to a wildcard subscriber in removed_resources', async () => {
      await h.ts.set([cluster('a'), cluster('b')]);
      const c = await h.connect();
      await c.fetch(T.CLUSTER, []);
      await h.ts.update({ remove: [{ typeUrl: T.CLUSTER, name: 'b' }] });
      const r = await c.next(T.CLUSTER);
      assert.deepEqual(r.removed, ['b']);
    });
  });

  describe('C22. reconnect with initial_resource_versions', () => {
    it('C22: a reconnect sends only changed and newly named resources and reports deleted ones', async () => {
      await h.ts.set([cla('a', [1]), cla('b', [1]), cla('c', [1]), cla('d', [1])]);
      const first = await h.connect();
      first.subscribe(T.ENDPOINT, ['a', 'b', 'c']);
      await collect(first, T.ENDPOINT, (g) => ['a', 'b', 'c'].every((n) => g.names.has(n)));
      const held = first.heldVersions(T.ENDPOINT);
      first.close();
      await h.ts.update({ upsert: [cla('b', [2])], remove: [{ typeUrl: T.ENDPOINT, name: 'c' }] });
      const c = await h.connect();
      c.send({ typeUrl: T.ENDPOINT, resourceNamesSubscribe: ['a', 'b', 'c', 'd'], initialResourceVersions: held });
      const got = await collect(c, T.ENDPOINT, (g) => g.names.has('b') && g.names.has('d') && g.removed.has('c'));
      await settle(c);
      const sent = c.responses.flatMap((r) => r.names);
      assert.ok(!sent.includes('a'), `a was unchanged and must not be resent (sent: ${sent.join(',')})`);
      assert.ok(!got.names.has('c'));
    });

    it('C22: a wildcard reconnect gets only clusters changed or added meanwhile, and removals', async () => {
      await h.ts.set([cluster('a'), cluster('b'), cluster('c')]);
      const first = await h.connect();
      await first.fetch(T.CLUSTER, []);
      const held = first.heldVersions(T.CLUSTER);
      first.close();
      await h.ts.update({ upsert: [cluster('b', { timeoutSeconds: 2 }), cluster('d')], remove: [{ typeUrl: T.CLUSTER, name: 'c' }] });
      const c = await h.connect();
      c.send({ typeUrl: T.CLUSTER, initialResourceVersions: held });
      await collect(c, T.CLUSTER, (g) => g.names.has('b') && g.names.has('d') && g.removed.has('c'));
      await settle(c);
      const sent = c.responses.flatMap((r) => r.names);
      assert.ok(!sent.includes('a'), `a was unchanged and must not be resent (sent: ${sent.join(',')})`);
    });
  });

  describe('C24. VirtualHost aliases', () => {
    it('C24: subscribing an unknown VirtualHost alias returns an entry named by the alias, with the alias and no resource', async () => {
      await h.ts.set([route('r0', 'c0'), virtualHost('r0/vh0', ['vh0.example.com'], 'c0')]);
      const c = await h.connect();
      const alias = 'r0/unknown.example.com';
      c.subscribe(T.VIRTUAL_HOST, [alias]);
      const r = await c.next(T.VIRTUAL_HOST);
      const entry = r.resources.find((x) => x.name === alias);
      assert.ok(entry, `no entry for ${alias}: resources [${r.names.join(',')}] removed [${r.removed.join(',')}]`);
      assert.deepEqual([...entry.aliases], [alias]);
      assert.equal(entry.typeUrl, undefined, 'an unresolved alias carries no resource');
    });

    it('C24: subscribing a VirtualHost by its alias (<route>/<domain>) returns it with the alias listed', async () => {
      await h.ts.set([route('r0', 'c0'), virtualHost('r0/vh0', ['vh0.example.com'], 'c0')]);
      const c = await h.connect();
      c.subscribe(T.VIRTUAL_HOST, ['r0/vh0.example.com']);
      const r = await c.next(T.VIRTUAL_HOST);
      const entry = r.resources.find((x) => x.name === 'r0/vh0');
      assert.ok(entry, `resources [${r.names.join(',')}] removed [${r.removed.join(',')}]`);
      assert.ok(entry.aliases.includes('r0/vh0.example.com'));
      assert.equal(entry.typeUrl, T.VIRTUAL_HOST);
    });
  });

  describe('F34. same name subscribed and unsubscribed at once', () => {
    it('F34: a new name both subscribed and unsubscribed in one request ends unsubscribed (unsubscribe wins)', async () => {
      await h.ts.set([cla('a'), cla('b')]);
      const c = await h.connect();
      c.send({ typeUrl: T.ENDPOINT, resourceNamesSubscribe: ['a', 'b'], resourceNamesUnsubscribe: ['a'] });
      await collect(c, T.ENDPOINT, (g) => g.names.has('b'));
      await h.ts.update({ upsert: [cla('a', [7]), cla('b', [7])] });
      await c.until(T.ENDPOINT, (r) => r.names.includes('b'), { ack: true });
      await settle(c);
      assert.ok(!c.responses.some((r) => r.names.includes('a')), 'a must never be sent');
    });

    it('F34: a held name both subscribed and unsubscribed in one request ends unsubscribed (unsubscribe wins)', async () => {
      await h.ts.set([cla('a'), cla('b')]);
      const c = await h.connect();
      c.subscribe(T.ENDPOINT, ['a', 'b']);
      await collect(c, T.ENDPOINT, (g) => g.names.has('a') && g.names.has('b'));
      await settle(c);
      const mark = c.responses.length;
      c.send({ typeUrl: T.ENDPOINT, resourceNamesSubscribe: ['a'], resourceNamesUnsubscribe: ['a'] });
      // The request brings no response: make sure it was handled before the update below.
      await processed(c, T.CLUSTER);
      await settle(c);
      await h.ts.update({ upsert: [cla('a', [7]), cla('b', [7])] });
      await c.until(T.ENDPOINT, (r) => r.names.includes('b'), { ack: true });
      await settle(c);
      assert.ok(!c.responses.slice(mark).some((r) => r.names.includes('a')), 'a must not be pushed after it was unsubscribed');
    });
  });
});

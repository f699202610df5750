/**
 * @module test/protocol/robustness.case
 * Bad input and stream lifecycle (rules F34–F36), plus the TTL gate (C25),
 * against both variants. Each bad input must affect only its own stream.
 */
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { Harness } from '../helpers/harness';
import { T } from '../helpers/service-paths';
import { encodeDeltaRequest, encodeSotwRequest } from '../helpers/xds-codec';
import { cla, cluster, delay, listener, route, waitFor } from '../helpers/server';

const SILENCE_MS = 400;
/** gRPC's default receive limit; the big-request test must exceed it. */
const GRPC_DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const BIG_REQUEST_NAMES = 100_000;
const BIG_LIMITS = { 'grpc.max_send_message_length': 64 * 1024 * 1024, 'grpc.max_receive_message_length': 64 * 1024 * 1024 };

/** A long, realistic EDS service name so 100k of them exceed 4 MiB. */
function bigName(i: number): string {
  return `outbound|8080||service-${String(i).padStart(6, '0')}.namespace.svc.cluster.local`;
}

/** Register the F-rule and C25 cases. */
export function robustnessCases(h: Harness): void {
  const delta = h.variant === 'delta';
  const streamsOpen = (): number => h.ts.server.stats().streams[h.variant];

  it('F34: malformed request bytes end only that stream; another stream keeps getting updates', async () => {
    await h.ts.set([cluster('c0'), cluster('c1')]);
    const bad = await h.connect();
    const good = await h.connect();
    await bad.fetch(T.CLUSTER, []);
    await good.fetch(T.CLUSTER, []);
    // A valid request followed by error_detail (a message field: 6 in DiscoveryRequest, 7 in the delta
    // request) whose declared length, 127, runs past the end of the bytes: truncated, undecodable.
    const valid = delta ? encodeDeltaRequest({ typeUrl: T.CLUSTER }, undefined) : encodeSotwRequest({ typeUrl: T.CLUSTER, resourceNames: [] }, undefined);
    bad.sendRaw(Buffer.concat([valid, Buffer.from([delta ? 0x3a : 0x32, 0x7f, 0x08])]));
    const status = await bad.ended();
    assert.notEqual(status.code, grpc.status.OK, 'a malformed request must end the stream with an error status');
    assert.ok(!/type_url/.test(status.details), `ended for the wrong reason: "${status.details}"`);
    await h.ts.update({ upsert: [cluster('c1', { timeoutSeconds: 3 })] });
    const r = await good.next(T.CLUSTER);
    assert.ok(r.names.includes('c1'));
  });

  it('F34: a string field that claims more bytes than the request has, or an 11-byte varint, ends the stream with INVALID_ARGUMENT', async () => {
    // type_url (delta field 2, SotW field 4) claiming 100 bytes with 3 present; then a length varint of 11 bytes.
    for (const bytes of [Buffer.from([delta ? 0x12 : 0x22, 0x64, 0x61, 0x62, 0x63]), Buffer.from('12ffffffffffffffffffff01', 'hex')]) {
      const c = await h.connect();
      c.sendRaw(bytes);
      const status = await c.ended();
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT, `${bytes.toString('hex')}: got ${grpc.status[status.code]} "${status.details}"`);
      assert.match(status.details, /not a valid (Delta)?DiscoveryRequest/);
    }
  });

  it('F34: a first request with an empty type_url ends the stream with INVALID_ARGUMENT', async () => {
    const c = await h.connect();
    c.send(delta ? { typeUrl: '', resourceNamesSubscribe: ['x'] } : { typeUrl: '', resourceNames: ['x'] });
    const status = await c.ended();
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT, `got ${grpc.status[status.code]} "${status.details}"`);
  });

  it('F34: an unknown type_url keeps the stream open, sends nothing, and other types still work', async () => {
    await h.ts.set([cluster('c0')]);
    const c = await h.connect();
    c.subscribe('type.googleapis.com/no.such.v3.Thing', ['x']);
    await c.expectSilence(SILENCE_MS);
    assert.equal(c.status, undefined, 'stream must stay open');
    const r = await c.fetch(T.CLUSTER, []);
    assert.deepEqual([...r.names], ['c0']);
  });

  it('F34: a name requested twice in one request is treated as one subscription', async () => {
    await h.ts.set([cla('x', [1]), cla('y', [2])]);
    const c = await h.connect();
    if (delta) c.send({ typeUrl: T.ENDPOINT, resourceNamesSubscribe: ['x', 'x', 'y'] });
    else c.send({ typeUrl: T.ENDPOINT, resourceNames: ['x', 'x', 'y'] });
    const seen = new Set<string>();
    while (!(seen.has('x') && seen.has('y'))) {
      const r = await c.next(T.ENDPOINT);
      c.ack(r);
      r.names.forEach((n) => seen.add(n));
    }
    // One unsubscribe removes it: the duplicate did not count twice.
    c.unsubscribe(T.ENDPOINT, ['x']);
    await delay(100); // let the server read the request before the config changes
    await h.ts.update({ upsert: [cla('x', [11]), cla('y', [22])] });
    const r = await c.until(T.ENDPOINT, (x) => x.names.includes('y'), { ack: true });
    assert.ok(!r.names.includes('x'));
    await c.expectSilence(SILENCE_MS, T.ENDPOINT);
    assert.ok(!c.responses.slice(r.index).some((x) => x.names.includes('x')), 'x was unsubscribed');
  });

  it('C23: a cluster covered by both the wildcard and its own name appears once per response', async () => {
    await h.ts.set([cluster('a'), cluster('b')]);
    const c = await h.connect();
    const first = await c.fetch(T.CLUSTER, ['*', 'a']);
    assert.deepEqual([...first.names].sort(), ['a', 'b']);
    await h.ts.update({ upsert: [cluster('a', { timeoutSeconds: 2 })] });
    await c.until(T.CLUSTER, (r) => r.names.includes('a'), { ack: true });
    // Duplicates would have been recorded as C23 violations by the client's invariants.
  });

  it('F34: requests for four types pipelined before any response are all answered', async () => {
    await h.ts.set([cluster('c0', { eds: true }), cla('c0'), listener('l0', 'r0'), route('r0', 'c0')]);
    const c = await h.connect();
    c.subscribe(T.CLUSTER, []);
    c.subscribe(T.ENDPOINT, ['c0']);
    c.subscribe(T.LISTENER, []);
    c.subscribe(T.ROUTE, ['r0']);
    for (const [typeUrl, name] of [
      [T.CLUSTER, 'c0'],
      [T.ENDPOINT, 'c0'],
      [T.LISTENER, 'l0'],
      [T.ROUTE, 'r0'],
    ] as const) {
      const r = await c.next(typeUrl);
      assert.ok(r.names.includes(name), `${typeUrl}: ${r.names.join(',')}`);
    }
  });

  it('F35: one request with 100,000 names (over 4 MiB) is accepted and answered', async () => {
    const names = Array.from({ length: BIG_REQUEST_NAMES }, (_, i) => bigName(i));
    const existing = [bigName(7), bigName(50_000), bigName(99_999)];
    await h.ts.set(existing.map((n) => cla(n, [8080])));
    const c = await h.connect({ channelOptions: BIG_LIMITS });
    const requestBytes = names.reduce((sum, n) => sum + n.length + 3, 0);
    assert.ok(requestBytes > GRPC_DEFAULT_MAX_MESSAGE_BYTES, `request is only ${requestBytes} bytes`);
    c.subscribe(T.ENDPOINT, names);
    const got = new Set<string>();
    await c.until(
      T.ENDPOINT,
      (r) => {
        r.names.forEach((n) => got.add(n));
        return existing.every((n) => got.has(n));
      },
      { ack: true, timeoutMs: 30_000 },
    );
    assert.equal(c.status, undefined, 'stream must stay open');
  });

  it('F36: a half-closed stream ends with status OK and its watch is released', async () => {
    await h.ts.set([cluster('c0')]);
    // Streams cancelled by earlier tests must be gone too (watches freed on cancel as well).
    await waitFor(() => streamsOpen() === 0, 10_000, `streams of earlier tests to close (still ${streamsOpen()})`);
    const c = await h.connect();
    await c.fetch(T.CLUSTER, []);
    await waitFor(() => streamsOpen() === 1, 10_000, 'the stream to be counted');
    c.halfClose();
    const status = await c.ended();
    assert.equal(status.code, grpc.status.OK, `got ${grpc.status[status.code]} "${status.details}"`);
    await waitFor(() => streamsOpen() === 0, 10_000, 'the stream count to drop back to 0');
  });

  it('C25: a client without supports-resource-ttl never receives a ttl or heartbeat', async () => {
    await h.ts.set([cluster('c0', { eds: true }), cla('c0'), listener('l0', 'r0'), route('r0', 'c0')]);
    const c = await h.connect({ node: { id: 'no-ttl', clientFeatures: ['envoy.lb.does_not_support_overprovisioning'] } });
    await c.fetch(T.CLUSTER, []);
    await c.fetch(T.ENDPOINT, ['c0']);
    await c.fetch(T.LISTENER, []);
    await c.fetch(T.ROUTE, ['r0']);
    await h.ts.update({ upsert: [cla('c0', [9999]), route('r0', 'c1')] });
    await c.until(T.ENDPOINT, () => true, { ack: true });
    await c.until(T.ROUTE, () => true, { ack: true });
    for (const r of c.responses)
      for (const res of r.resources) {
        assert.equal(res.ttl, undefined, `${res.name} has a ttl`);
        assert.ok(res.typeUrl !== undefined, `${res.name} came without a body (heartbeat)`);
      }
  });
}

/**
 * @module test/unit/transport/framed-message.test
 * Framed responses on a real grpc-js server call: written to the HTTP/2
 * stream as the very Buffer we built (so a grpc-js upgrade that changes how
 * it frames fails here), the same bytes reaching a real grpc-js client with
 * and without the pass, and anything that is not framed still serialized
 * by grpc-js itself; and our own server taking the pass on its calls.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { FramedMessage, GRPC_PREFIX_BYTES, passFramedMessages, serializeFramed } from '../../../src/transport/framed-message';
import { http2StreamOf } from '../../../src/transport/http2-stream';
import pino from 'pino';
import { cluster, startServer, waitFor } from '../../helpers/server';
import { AdsClient } from '../../helpers/ads-client';
import { CLUSTER } from '../../../src/xds/type-urls';

const identity = (b: Buffer): Buffer => b;
/** Our methods' serializer, plus plain Buffers, so one test can write both kinds on one call. */
const serializeEither = (m: FramedMessage | Buffer): Buffer => (m instanceof FramedMessage ? serializeFramed(m) : m);
const METHOD: grpc.MethodDefinition<Buffer, FramedMessage | Buffer> = {
  path: '/test.Framed/Stream',
  requestStream: true,
  responseStream: true,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: serializeEither,
  responseDeserialize: identity,
};

const framedOf = (payload: Buffer): FramedMessage => FramedMessage.copyOf(payload);

/** What the server's HTTP/2 stream was handed, and whether the pass was taken. */
interface ServerSide {
  passed: boolean | undefined;
  readonly chunks: unknown[];
}

/**
 * A real server whose handler, on the client's first request, writes
 * `responses()` (optionally after passFramedMessages), recording every chunk
 * grpc-js hands to the call's HTTP/2 stream; and a real client that collects
 * what arrives.
 */
async function exchange(pass: boolean, responses: () => (FramedMessage | Buffer)[]): Promise<{ server: ServerSide; received: Buffer[] }> {
  const side: ServerSide = { passed: undefined, chunks: [] };
  const server = new grpc.Server();
  server.addService({ Stream: METHOD } as grpc.ServiceDefinition, {
    Stream: (call: grpc.ServerDuplexStream<Buffer, FramedMessage | Buffer>) => {
      if (pass) side.passed = passFramedMessages(call);
      const h2 = http2StreamOf(call);
      assert.ok(h2, 'the test records chunks on the HTTP/2 stream');
      const write = h2.write.bind(h2) as (chunk: unknown, ...rest: unknown[]) => boolean;
      // Records, then writes as before: the stream is real and the client reads what it wrote.
      (h2 as unknown as { write: typeof write }).write = (chunk, ...rest) => {
        side.chunks.push(chunk);
        return write(chunk, ...rest);
      };
      call.once('data', () => {
        for (const m of responses()) call.write(m);
        call.end();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  const Client = grpc.makeGenericClientConstructor({ Stream: METHOD }, 'Framed');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const received: Buffer[] = [];
  try {
    const call = (client as unknown as { Stream(): grpc.ClientDuplexStream<Buffer, Buffer> }).Stream();
    let ended = false;
    call.on('data', (b: Buffer) => received.push(b));
    call.on('error', () => (ended = true));
    call.on('end', () => (ended = true));
    call.write(Buffer.from('go'));
    await waitFor(() => ended, 10_000, 'the server to end the stream');
    call.end();
  } finally {
    client.close();
    server.forceShutdown();
  }
  return { server: side, received };
}

const payload = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

test('with the pass, grpc-js writes our framed Buffer itself, and the client receives its payload', async () => {
  const shared = framedOf(payload(100_000, 3));
  const { server, received } = await exchange(true, () => [shared, framedOf(payload(10, 4)), shared]);
  assert.equal(server.passed, true, 'passFramedMessages must take over serializeMessage on a grpc-js server call');
  const messageChunks = server.chunks.filter((c) => Buffer.isBuffer(c) && c.length > 0);
  assert.equal(messageChunks.length, 3);
  assert.equal(messageChunks[0], shared.bytes, 'the shared message goes out as the same Buffer, not a copy');
  assert.equal(messageChunks[2], shared.bytes, 'and again on the next write');
  assert.deepEqual(
    received.map((b) => [b.length, b[0]]),
    [
      [100_000, 3],
      [10, 4],
      [100_000, 3],
    ],
  );
});

test('without the pass, grpc-js copies as before and the client receives the same payloads', async () => {
  const shared = framedOf(payload(50_000, 5));
  const { server, received } = await exchange(false, () => [shared]);
  const messageChunks = server.chunks.filter((c) => Buffer.isBuffer(c) && c.length > 0) as Buffer[];
  assert.equal(messageChunks.length, 1);
  assert.notEqual(messageChunks[0], shared.bytes, 'grpc-js framed a copy');
  assert.deepEqual(messageChunks[0], shared.bytes, 'with the same bytes');
  assert.deepEqual(received, [payload(50_000, 5)]);
});

test('on a call with the pass, a value that is not framed is still serialized and framed by grpc-js', async () => {
  const plain = payload(2000, 6);
  const { server, received } = await exchange(true, () => [plain, framedOf(payload(20, 7))]);
  assert.equal(server.passed, true);
  const messageChunks = server.chunks.filter((c) => Buffer.isBuffer(c) && c.length > 0) as Buffer[];
  assert.equal(messageChunks[0]?.length, 2000 + GRPC_PREFIX_BYTES, 'grpc-js added its prefix');
  assert.equal(messageChunks[0]?.readUInt32BE(1), 2000);
  assert.deepEqual(received, [plain, payload(20, 7)]);
});

test('the pass is taken once per call and refuses an object without grpc-js’s serializeMessage', () => {
  assert.equal(passFramedMessages({}), false);
  assert.equal(passFramedMessages({ call: { serializeMessage: 'not a function' } }), false);
  // An own wrapper (not the class's method) is someone else's: left alone.
  const wrapped = { serializeMessage: (v: unknown): unknown => v };
  assert.equal(passFramedMessages({ call: wrapped }), false);
  class Base {
    serializeMessage(value: unknown): Buffer {
      return Buffer.from(String(value));
    }
  }
  const base = new Base();
  assert.equal(passFramedMessages({ call: base }), true);
  assert.equal(passFramedMessages({ call: base }), true, 'a second call changes nothing');
  const m = framedOf(Buffer.from('x'));
  assert.equal(base.serializeMessage(m), m.bytes);
  assert.deepEqual(base.serializeMessage('y'), Buffer.from('y'), 'the class’s own method for the rest');
});

test('our server takes the pass on its discovery calls: both variants get their responses, and it does not warn that it fell back', async () => {
  const lines: string[] = [];
  const server = await startServer({ logger: pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) }), resources: [cluster('a'), cluster('b')] });
  try {
    for (const variant of ['sotw', 'delta'] as const) {
      const client = await AdsClient.connect(server.port, { variant });
      try {
        const first = await client.fetch(CLUSTER, []);
        assert.ok(first.names.includes('a') && first.names.includes('b'), `${variant}: the initial response`);
        await server.update({ upsert: [cluster(`new-${variant}`)] });
        const next = await client.next(CLUSTER);
        assert.ok(next.names.includes(`new-${variant}`), `${variant}: the pushed update`);
      } finally {
        client.close();
      }
    }
    assert.deepEqual(
      lines.filter((l) => l.includes('hides how it frames')),
      [],
      'the server must not fall back to grpc-js’s copy',
    );
  } finally {
    await server.stop();
  }
});

/**
 * @module test/unit/transport/read-slices.test
 * Releasing grpc-js's slices of a request's socket read: found on a real
 * grpc-js server call (so a grpc-js upgrade that moves the decoder fails
 * here), held by grpc-js until released, and never taken from a message
 * still arriving (grpc-js's own StreamDecoder, fed by hand).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { StreamDecoder } from '@grpc/grpc-js/build/src/stream-decoder';
import { messageDecoderOf, releaseReadSlices } from '../../../src/transport/read-slices';
import { waitFor } from '../../helpers/server';

const KIB = 1024;
const identity = (b: Buffer): Buffer => b;
const METHOD: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/test.Echo/Stream',
  requestStream: true,
  responseStream: true,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
};

/** `body` as one gRPC message: flag, length, bytes. */
function framed(body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** What the server saw of one request on its real grpc-js call. */
interface Seen {
  readonly found: boolean;
  readonly heldChunks: number;
  readonly released: boolean;
  readonly heldAfter: number;
  readonly flagBufferBytes: number;
  readonly bytes: number;
}

test('on a real grpc-js call the decoder is found, holds the last request read, and lets go of it', async () => {
  const seen: Seen[] = [];
  const server = new grpc.Server();
  server.addService({ Stream: METHOD } as grpc.ServiceDefinition, {
    Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      const decoder = messageDecoderOf(call);
      call.on('data', (bytes: Buffer) => {
        const heldChunks = decoder?.readPartialMessage.length ?? -1;
        const released = decoder ? releaseReadSlices(decoder) : false;
        seen.push({
          found: decoder !== undefined,
          heldChunks,
          released,
          heldAfter: decoder?.readPartialMessage.length ?? -1,
          flagBufferBytes: decoder?.readCompressFlag.buffer.byteLength ?? -1,
          bytes: bytes.length,
        });
        call.write(Buffer.from('ok'));
      });
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  const Client = grpc.makeGenericClientConstructor({ Stream: METHOD }, 'Echo');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const call = (client as unknown as { Stream(): grpc.ClientDuplexStream<Buffer, Buffer> }).Stream();
    call.on('data', () => {});
    call.on('error', () => {});
    // 40 KiB cannot fit one DATA frame (16 KiB by default), so grpc-js assembles it from slices of the reads.
    call.write(Buffer.alloc(40 * KIB, 7));
    await waitFor(() => seen.length === 1, 10_000, 'the first request to reach the handler');
    call.write(Buffer.alloc(40 * KIB, 8));
    await waitFor(() => seen.length === 2, 10_000, 'the second request to reach the handler');
    call.end();
    for (const s of seen) {
      assert.equal(s.found, true, 'messageDecoderOf must find grpc-js’s decoder on a handler’s call');
      assert.equal(s.bytes, 40 * KIB);
      assert.ok(s.heldChunks > 0, `grpc-js held ${s.heldChunks} chunks of the finished message (if grpc-js stopped holding them, read-slices.ts can go)`);
      assert.equal(s.released, true);
      assert.equal(s.heldAfter, 0);
      assert.equal(s.flagBufferBytes, 1, 'the compressed-flag slice must no longer point into a read buffer');
    }
  } finally {
    client.close();
    server.forceShutdown();
  }
});

test('a message still arriving keeps its chunks; once complete its slices are released once', () => {
  const grpcDecoder = new StreamDecoder(-1);
  const decoder = messageDecoderOf({ decoder: grpcDecoder });
  assert.ok(decoder, 'grpc-js’s StreamDecoder must pass the shape check');
  const message = framed(Buffer.alloc(30 * KIB, 3));
  // One socket read's buffer, as Node hands it: the first part of the message now, the rest later.
  const read = Buffer.concat([message, Buffer.alloc(100)]);
  assert.deepEqual(grpcDecoder.write(read.subarray(0, 10 * KIB)), []);
  assert.equal(releaseReadSlices(decoder), false, 'nothing may be dropped mid-message');
  assert.equal(decoder.readPartialMessage.length, 1);
  const [whole] = grpcDecoder.write(read.subarray(10 * KIB, message.length));
  assert.ok(whole);
  assert.deepEqual(whole, message, 'the message is intact after a release was tried mid-way');
  assert.ok(decoder.readPartialMessage.length > 0);
  assert.equal(decoder.readCompressFlag.buffer, read.buffer, 'grpc-js keeps a slice of the read after the message is complete');
  assert.equal(releaseReadSlices(decoder), true);
  assert.equal(decoder.readPartialMessage.length, 0);
  assert.notEqual(decoder.readCompressFlag.buffer, read.buffer);
  assert.equal(releaseReadSlices(decoder), false, 'a second release finds nothing');
  // The decoder still reads the next message correctly.
  const next = framed(Buffer.from('next'));
  assert.deepEqual(grpcDecoder.write(next), [next]);
});

test('objects without a grpc-js decoder are not taken for one', () => {
  assert.equal(messageDecoderOf({}), undefined);
  assert.equal(messageDecoderOf({ call: { decoder: { readState: 0 } } }), undefined);
  assert.equal(messageDecoderOf({ decoder: { readState: '0', readCompressFlag: Buffer.alloc(1), readPartialMessage: [] } }), undefined);
});

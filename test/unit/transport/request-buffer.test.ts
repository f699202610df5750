/**
 * @module test/unit/transport/request-buffer.test
 * The unfinished-request ledgers over real HTTP/2 streams (node:http2 on
 * loopback; no grpc-js): bytes count while a message is unfinished and leave
 * when it completes or the stream closes; past a limit the stream holding
 * most is refused, not the one that arrived last.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { RequestBufferLimits } from '../../../src/transport/request-buffer';
import type { RequestBufferLimit } from '../../../src/transport/request-buffer';
import { waitFor } from '../../helpers/server';

const KIB = 1024;

interface Refusal {
  readonly path: string;
  readonly limit: RequestBufferLimit;
}

/** An HTTP/2 server whose streams are all watched by `limits`; refused streams are reset. */
async function serverWith(limits: RequestBufferLimits): Promise<{ port: number; refusals: Refusal[]; close(): Promise<void> }> {
  const refusals: Refusal[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    limits.watch(stream, (limit) => {
      refusals.push({ path: String(headers[':path']), limit });
      stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    });
    stream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, refusals, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A gRPC message header announcing `bytes`. */
function header(bytes: number): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(bytes, 1);
  return h;
}

function open(session: http2.ClientHttp2Session, path: string): http2.ClientHttp2Stream {
  const s = session.request({ ':method': 'POST', ':path': path });
  s.on('error', () => {});
  return s;
}

test('bytes of an unfinished message are counted until its last byte arrives', async () => {
  const limits = new RequestBufferLimits(64 * 1024 * KIB, 64 * 1024 * KIB);
  const server = await serverWith(limits);
  const session = http2.connect(`http://127.0.0.1:${server.port}`);
  try {
    const s = open(session, '/a');
    s.write(Buffer.concat([header(200 * KIB), Buffer.alloc(150 * KIB, 1)]));
    await waitFor(() => limits.held >= 150 * KIB, 10_000, 'the unfinished bytes to be counted');
    s.write(Buffer.alloc(50 * KIB, 1));
    await waitFor(() => limits.held === 0, 10_000, 'the finished message to leave the ledger');
    // A second message, unfinished, then the stream closes: its bytes leave too.
    s.write(Buffer.concat([header(100 * KIB), Buffer.alloc(80 * KIB, 1)]));
    await waitFor(() => limits.held > 0, 10_000, 'the second message to be counted');
    s.close();
    await waitFor(() => limits.held === 0, 10_000, 'a closed stream to leave the ledger');
    assert.deepEqual(server.refusals, []);
  } finally {
    session.destroy();
    await server.close();
  }
});

test('past the per-connection limit the stream holding most is refused, not the one whose bytes arrived last', async () => {
  const limits = new RequestBufferLimits(400 * KIB, 64 * 1024 * KIB);
  const server = await serverWith(limits);
  const session = http2.connect(`http://127.0.0.1:${server.port}`);
  try {
    const big = open(session, '/big');
    big.write(Buffer.concat([header(1024 * KIB), Buffer.alloc(300 * KIB, 1)]));
    await waitFor(() => limits.held >= 300 * KIB, 10_000, 'the big stream to be counted');
    const small = open(session, '/small');
    small.write(Buffer.concat([header(1024 * KIB), Buffer.alloc(150 * KIB, 1)]));
    await waitFor(() => server.refusals.length > 0, 10_000, 'a refusal');
    assert.deepEqual(server.refusals, [{ path: '/big', limit: 'connection' }]);
    assert.ok(limits.held <= 400 * KIB, `${limits.held} bytes still counted`);
  } finally {
    session.destroy();
    await server.close();
  }
});

test('the server-wide limit spans connections; each connection alone stays under its own', async () => {
  const limits = new RequestBufferLimits(400 * KIB, 500 * KIB);
  const server = await serverWith(limits);
  const sessions = [0, 1].map(() => http2.connect(`http://127.0.0.1:${server.port}`));
  try {
    const [first, second] = sessions.map((session, i) => open(session, `/conn-${i}`));
    first?.write(Buffer.concat([header(1024 * KIB), Buffer.alloc(300 * KIB, 1)]));
    await waitFor(() => limits.held >= 300 * KIB, 10_000, 'the first connection to be counted');
    second?.write(Buffer.concat([header(1024 * KIB), Buffer.alloc(250 * KIB, 1)]));
    await waitFor(() => server.refusals.length > 0, 10_000, 'a refusal');
    assert.deepEqual(server.refusals, [{ path: '/conn-0', limit: 'server' }]);
  } finally {
    for (const s of sessions) s.destroy();
    await server.close();
  }
});

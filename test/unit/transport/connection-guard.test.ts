/**
 * @module test/unit/transport/connection-guard.test
 * The connection guard over real TCP sockets on loopback: connections past
 * the cap are closed on accept and counted; refusals are logged at most once
 * per interval; the default cap leaves descriptors for the rest of the server.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import pino from 'pino';
import { ConnectionGuard, defaultMaxConnections, FALLBACK_MAX_CONNECTIONS } from '../../../src/transport/connection-guard';
import { readFdLimit } from '../../../src/observe/fd-limit';
import { waitFor } from '../../helpers/server';

test('connections past the cap are closed on accept, counted, and logged once for the burst', async () => {
  const lines: string[] = [];
  let refused = 0;
  const guard = new ConnectionGuard({ maxConnections: 2, idleTimeoutMs: 0, log: pino({}, { write: (s: string) => void lines.push(s) }), onRefused: () => refused++ });
  const server = net.createServer((socket) => {
    if (!guard.admit(socket)) return;
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const clients: net.Socket[] = [];
  const closed = new Set<net.Socket>();
  try {
    for (let i = 0; i < 5; i++) {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      c.on('close', () => closed.add(c));
      clients.push(c);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => closed.size === 3, 10_000, 'the three connections past the cap to be closed');
    assert.equal(guard.open, 2);
    assert.equal(refused, 3);
    assert.deepEqual([...closed], clients.slice(2), 'the first two are kept');
    assert.equal(lines.length, 1, 'one log line for the burst');
    assert.match(lines[0] ?? '', /--max-connections/);
    clients[0]?.destroy();
    await waitFor(() => guard.open === 1, 10_000, 'a closed connection to free its slot');
  } finally {
    for (const c of clients) c.destroy();
    guard.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('the default cap is the open-file limit less a reserve of an eighth, between 64 and 1024', () => {
  assert.equal(defaultMaxConnections({ soft: 256, hard: 256 }), 192);
  assert.equal(defaultMaxConnections({ soft: 1024, hard: 4096 }), 896);
  assert.equal(defaultMaxConnections({ soft: 1_048_576, hard: 1_048_576 }), 1_047_552);
  assert.equal(defaultMaxConnections(undefined), FALLBACK_MAX_CONNECTIONS);
  const here = readFdLimit();
  if (here) assert.ok(here.soft > 0 && here.soft <= here.hard, `read ${JSON.stringify(here)}`);
});

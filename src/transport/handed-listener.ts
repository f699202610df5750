/**
 * @module transport/handed-listener
 * The receive side of a `--processes` serving process: its primary owns the
 * xDS listening socket (cluster/connection-handoff.ts) and hands each
 * accepted connection over IPC. Each one goes through the same admission
 * (ConnectionGuard) and into grpc-js the same way as a connection our own
 * listener accepts (./xds-listener.ts).
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ConnectionSource } from '../api-types';
import type { ConnectionGuard } from './connection-guard';
import type { XdsListener } from './xds-listener';

/** What the handed-connection listener needs. */
export interface HandedListenerOptions {
  readonly grpcServer: grpc.Server;
  readonly credentials: grpc.ServerCredentials;
  readonly connections: ConnectionGuard;
  readonly source: ConnectionSource;
  readonly log: Logger;
}

/**
 * Start taking the source's connections. `close()` (a drain or stop) stops
 * taking them: one handed over after that is closed at once, and its client
 * reconnects to another serving process (the primary stops accepting before
 * it signals its serving processes, so only connections already on their
 * way arrive then).
 */
export function takeHandedConnections(options: HandedListenerOptions): XdsListener {
  const { connections, source } = options;
  const injector = options.grpcServer.createConnectionInjector(options.credentials);
  let closed = false;
  source.start((socket) => {
    if (closed) {
      socket.destroy();
      return;
    }
    // The primary accepted it paused and never read from it. Here Node wraps the handle in a socket that reads
    // (as a socket our own listener accepts does), so nothing needs resuming: grpc-js takes it as it is.
    socket.setNoDelay(true);
    if (connections.admit(socket)) injector.injectConnection(socket);
  });
  options.log.info({ primaryPort: source.port }, 'taking xDS connections from the primary');
  return {
    port: source.port,
    host: source.host,
    close: () => {
      closed = true;
    },
  };
}

/**
 * @module transport/xds-listener
 * The listening socket of the gRPC server. We own it and hand connections
 * to grpc-js, because grpc-js listens with Node's default backlog of 511: a
 * fleet reconnecting at 1000+/s while the server is busy with initial syncs
 * overflows it and gets ECONNRESET. Sessions, keepalive, max age and GOAWAY
 * stay grpc-js's.
 */
import * as net from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { BindError } from '../errors';
import type { ConnectionGuard } from './connection-guard';
import { DEFAULT_HOST, formatAddress, listenOn } from './listen-address';

/** Pending-connection queue of the gRPC listener (the kernel caps it at net.core.somaxconn). */
export const LISTEN_BACKLOG = 4096;
/** At most one log line about failing accepts per this interval. */
const ACCEPT_ERROR_LOG_INTERVAL_MS = 10_000;

/** What the listener needs. */
export interface XdsListenerOptions {
  readonly grpcServer: grpc.Server;
  readonly credentials: grpc.ServerCredentials;
  readonly connections: ConnectionGuard;
  readonly port: number;
  /** Undefined: `::` dual-stack, `0.0.0.0` where there is no IPv6 (./listen-address.ts). */
  readonly host: string | undefined;
  readonly log: Logger;
}

/** A bound listener: where it listens and how to stop accepting. */
export interface XdsListener {
  readonly port: number;
  readonly host: string;
  close(): void;
}

/** Where the xDS port is bound. */
export interface XdsPortAddress {
  readonly port: number;
  /** Undefined: `::` dual-stack, `0.0.0.0` where there is no IPv6 (./listen-address.ts). */
  readonly host: string | undefined;
  readonly log: Logger;
}

/**
 * Bind `server` as the xDS port: LISTEN_BACKLOG, the default address rules of
 * ./listen-address.ts, a failure as a BindError naming --port, and accept
 * errors after bind logged (at most one line per interval) instead of thrown.
 * A `--processes` primary binds its listener with this too, so both paths
 * listen and fail alike.
 */
export async function bindXdsPort(server: net.Server, address: XdsPortAddress, openConnections?: () => number): Promise<{ port: number; host: string }> {
  const { log } = address;
  const bound = await listenOn(server, { port: address.port, host: address.host, backlog: LISTEN_BACKLOG, log }).catch((err: unknown) => {
    throw new BindError(formatAddress(address.host ?? DEFAULT_HOST, address.port), err);
  });
  // After bind, accept errors (EMFILE when descriptors run out anyway) must be logged, not thrown: an unhandled 'error' would end the process.
  let lastAcceptErrorLog = 0;
  server.on('error', (err) => {
    if (Date.now() - lastAcceptErrorLog < ACCEPT_ERROR_LOG_INTERVAL_MS) return;
    lastAcceptErrorLog = Date.now();
    log.error({ err, open: openConnections?.() }, 'cannot accept connections; if this says EMFILE, lower --max-connections or raise the open-file limit (ulimit -n)');
  });
  return bound;
}

/** Bind and start handing admitted connections to grpc-js; rejects (BindError) when the address cannot be bound. */
export async function startListener(options: XdsListenerOptions): Promise<XdsListener> {
  const { connections, log } = options;
  const injector = options.grpcServer.createConnectionInjector(options.credentials);
  const server = net.createServer({ noDelay: true }, (socket) => {
    if (connections.admit(socket)) injector.injectConnection(socket);
  });
  const { port, host } = await bindXdsPort(server, { port: options.port, host: options.host, log }, () => connections.open);
  return { port, host, close: () => void server.close() };
}

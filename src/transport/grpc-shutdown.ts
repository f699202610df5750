/**
 * @module transport/grpc-shutdown
 * How the xDS port ends: a stop closes everything at once, a drain ends the
 * open streams spread over a window, so clients do not all reconnect to
 * another replica at once. Both stop taking connections first (our listener),
 * then let grpc-js close its sessions.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AnyStream, DiscoveryServices } from './ads-service';
import type { ConnectionGuard } from './connection-guard';
import type { XdsListener } from './xds-listener';

/** Share of a drain window over which stream ends are spread; the rest lets the last ones finish. */
const DRAIN_SPREAD_SHARE = 0.8;
/** How long a stop waits for grpc-js's graceful shutdown before forcing it. */
const STOP_FORCE_AFTER_MS = 1000;

/** The parts of the xDS port a stop or drain closes. */
export interface GrpcPort {
  readonly grpcServer: grpc.Server;
  readonly listener: XdsListener;
  readonly connections: ConnectionGuard;
  readonly services: DiscoveryServices;
  readonly streams: Iterable<AnyStream>;
}

/** End `streams` with UNAVAILABLE, spread over most of `timeoutMs`; resolves once all are ended. */
async function endStreamsSpread(streams: readonly AnyStream[], timeoutMs: number): Promise<void> {
  const spreadMs = Math.max(0, timeoutMs * DRAIN_SPREAD_SHARE);
  await Promise.all(
    streams.map(
      (s, i) =>
        new Promise<void>((resolve) => {
          setTimeout(
            () => {
              s.end(grpc.status.UNAVAILABLE, 'server is draining; reconnect to another replica');
              resolve();
            },
            streams.length > 1 ? (spreadMs * i) / (streams.length - 1) : 0,
          );
        }),
    ),
  );
}

/** Close the port now: no new connections, every stream closed, grpc-js shut down (forced after a second at most). */
export async function closeGrpcPort(port: GrpcPort): Promise<void> {
  const { grpcServer } = port;
  port.listener.close();
  port.connections.close();
  for (const s of port.streams) s.close();
  // Refusals and resets of the last interval would otherwise never reach the log.
  port.services.flushLogs();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      grpcServer.forceShutdown();
      resolve();
    }, STOP_FORCE_AFTER_MS);
    grpcServer.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
    // Open streams never finish on their own; end them so tryShutdown can complete.
    setImmediate(() => grpcServer.forceShutdown());
  });
}

/**
 * Drain the port over `timeoutMs`: no new connections, the streams open now
 * ended spread over the window, then wait for grpc-js's graceful shutdown
 * until the window is over. The caller refuses new streams meanwhile and
 * closes the port afterwards (closeGrpcPort).
 */
export async function drainGrpcPort(port: GrpcPort, timeoutMs: number, log: Logger): Promise<void> {
  const started = Date.now();
  const open = [...port.streams];
  log.info({ streams: open.length, timeoutMs }, 'draining: refusing new streams, ending open ones gradually');
  port.listener.close();
  const shutdownDone = new Promise<void>((resolve) => port.grpcServer.tryShutdown(() => resolve()));
  await endStreamsSpread(open, timeoutMs);
  const left = Math.max(0, timeoutMs - (Date.now() - started));
  await Promise.race([shutdownDone, new Promise((r) => setTimeout(r, left))]);
  log.info({ drainedMs: Date.now() - started }, 'drain finished');
}

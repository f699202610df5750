/**
 * @module transport/connection-guard
 * Keeps file descriptors bounded. We own the listening socket (server.ts), so
 * every accepted connection passes through here before grpc-js sees it:
 *
 * - Beyond `maxConnections` open at once, a new connection is closed at once
 *   (with a TCP reset, so neither side keeps state), counted, and logged at
 *   most once per REFUSAL_LOG_INTERVAL_MS. Without a cap, 300 idle HTTP/2
 *   sessions under `ulimit -n 256` used every descriptor: no new client, no
 *   admin request, no config file could be opened.
 * - Connections with no stream are closed after the idle timeout. grpc-js
 *   does that gracefully (GOAWAY) for HTTP/2 sessions (`grpc.max_connection_idle_ms`,
 *   set by server.ts); this guard is the backstop for connections that never
 *   carried a single stream and are still open IDLE_BACKSTOP_GRACE_MS later
 *   (a TLS handshake that never finishes, a session that cannot be closed
 *   gracefully): they are destroyed and counted.
 *
 * Streams are reported by a pass-through interceptor (call-watch.ts) with
 * the call's local and remote address and port: all four identify the TCP
 * connection. The remote end alone does not: a client that reaches one
 * listener on 0.0.0.0 through two local addresses (the bench's 127.0.0.1 and
 * 127.0.0.2 past 28,000 loopback source ports) gets the same source port for
 * many pairs of connections, and keyed by the remote end one of each pair was
 * taken for the other, so its stream never cleared its backstop timer and it
 * was destroyed, stream and all, 35 s after it was accepted.
 *
 * Every close or refusal is counted (metrics) and logged as a count per
 * interval (observe/counted-log), so a client's "Connection dropped" can be
 * matched to the server's reason. That includes closes grpc-js makes and
 * does not report: a connection that ends on this side with neither a FIN
 * nor a reset from the client first was closed by this server, and if it had
 * carried a stream that is grpc-js's keepalive timeout (the client did not
 * answer a ping within --keepalive-timeout-ms), its max connection age, or a
 * drain; if it never had one, grpc-js's idle close.
 */
import type * as net from 'node:net';
import type { Logger } from 'pino';
import { CountedLog } from '../observe/counted-log';
import type { FdLimit } from '../observe/fd-limit';

/** At most one log line about refused connections, and one about backstop closes, per this interval. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** Default: a connection with no stream for this long is closed. */
export const DEFAULT_IDLE_CONNECTION_TIMEOUT_MS = 30_000;
/** How long after the idle timeout a connection that never had a stream is destroyed if still open. */
export const IDLE_BACKSTOP_GRACE_MS = 5_000;

/** Default connection cap where the open-file limit cannot be read. */
export const FALLBACK_MAX_CONNECTIONS = 10_000;

/**
 * Default connection cap: the soft open-file limit minus a reserve (an
 * eighth, between 64 and 1024) for what else the server opens: config files,
 * admin requests, worker threads, the listening sockets.
 */
export function defaultMaxConnections(limit: FdLimit | undefined): number {
  if (!limit || !Number.isFinite(limit.soft)) return FALLBACK_MAX_CONNECTIONS;
  const reserve = Math.min(1024, Math.max(64, Math.floor(limit.soft / 8)));
  return Math.max(1, limit.soft - reserve);
}

/** What the guard needs. */
export interface ConnectionGuardOptions {
  readonly maxConnections: number;
  /** 0 disables the idle backstop. */
  readonly idleTimeoutMs: number;
  readonly log: Logger;
  /** A connection was refused because `maxConnections` were open. */
  onRefused?(): void;
  /** A connection that never carried a stream was destroyed by the backstop. */
  onIdleClosed?(): void;
  /**
   * grpc-js closed a connection the client had not ended: `after_streams` if
   * it had carried a stream (keepalive timeout, max age, drain), `idle` if not.
   */
  onServerClosed?(reason: ServerCloseReason): void;
}

/** Why grpc-js (not the guard, not the client) closed a connection, as far as the socket tells. */
export type ServerCloseReason = 'after_streams' | 'idle';

interface Tracked {
  readonly socket: net.Socket;
  timer: NodeJS.Timeout | undefined;
  /** A stream was noted on it. */
  hadStream: boolean;
  /** The client sent a FIN or a reset first. */
  clientEnded: boolean;
  /** The guard destroyed it (counted as never used). */
  reaped: boolean;
}

/** Both ends of a TCP connection, as net.Socket and grpc-js's getConnectionInfo() both give them. */
export interface ConnectionEnds {
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/** The connection's key: all four, since one remote address and port can reach two local addresses at once. */
function keyOf(ends: ConnectionEnds): string {
  return `${ends.remoteAddress ?? ''}:${ends.remotePort ?? ''}>${ends.localAddress ?? ''}:${ends.localPort ?? ''}`;
}

/** Counts, caps and reaps the connections of one listener. */
export class ConnectionGuard {
  readonly #options: ConnectionGuardOptions;
  readonly #open = new Map<string, Tracked>();
  readonly #refusals: CountedLog;
  readonly #backstopCloses: CountedLog;
  readonly #serverCloses: Record<ServerCloseReason, CountedLog>;
  #closed = false;

  constructor(options: ConnectionGuardOptions) {
    this.#options = options;
    const max = options.maxConnections;
    this.#refusals = new CountedLog(
      options.log,
      'warn',
      (count) => ({
        fields: { refused: count, open: this.#open.size, maxConnections: max },
        msg:
          `refused ${count} new connection(s): ${max} are open, the limit set by --max-connections; ` +
          'raise it (with the open-file limit, ulimit -n) or add replicas; idle connections are closed after --idle-connection-timeout-ms',
      }),
      REFUSAL_LOG_INTERVAL_MS,
    );
    this.#backstopCloses = new CountedLog(
      options.log,
      'info',
      (count) => ({
        fields: { closed: count, open: this.#open.size, idleTimeoutMs: options.idleTimeoutMs },
        msg:
          `closed ${count} connection(s) that opened no stream within --idle-connection-timeout-ms (${options.idleTimeoutMs} ms) ` +
          `plus ${IDLE_BACKSTOP_GRACE_MS} ms and were not closed gracefully; clients that connect and never start a stream, or a TLS handshake that never finished`,
      }),
      REFUSAL_LOG_INTERVAL_MS,
    );
    this.#serverCloses = {
      after_streams: new CountedLog(options.log, 'info', (count) => ({
        fields: { closed: count, open: this.#open.size },
        msg:
          `closed ${count} connection(s) that carried streams before the client ended them: grpc-js's keepalive timeout ` +
          '(the client did not answer a ping within --keepalive-timeout-ms: a client or network too busy to read), --max-connection-age-ms, or a drain',
      })),
      idle: new CountedLog(options.log, 'info', (count) => ({
        fields: { closed: count, open: this.#open.size, idleTimeoutMs: options.idleTimeoutMs },
        msg:
          `closed ${count} connection(s) that opened no stream within --idle-connection-timeout-ms (${options.idleTimeoutMs} ms), gracefully (GOAWAY); ` +
          'a client that connects and starts its stream later than that gets it refused and reconnects',
      })),
    };
  }

  /** Connections open now. */
  get open(): number {
    return this.#open.size;
  }

  /** Take a new connection, or refuse it (closing it) and return false. */
  admit(socket: net.Socket): boolean {
    // Reset before we got to it: nothing to serve, nothing to count.
    if (socket.remoteAddress === undefined) {
      socket.destroy();
      return false;
    }
    if (this.#open.size >= this.#options.maxConnections) {
      socket.resetAndDestroy();
      this.#options.onRefused?.();
      this.#refusals.note();
      return false;
    }
    const key = keyOf(socket);
    const tracked: Tracked = { socket, timer: undefined, hadStream: false, clientEnded: false, reaped: false };
    if (this.#options.idleTimeoutMs > 0) {
      tracked.timer = setTimeout(() => {
        tracked.timer = undefined;
        tracked.reaped = true;
        this.#options.onIdleClosed?.();
        this.#backstopCloses.note();
        socket.destroy();
      }, this.#options.idleTimeoutMs + IDLE_BACKSTOP_GRACE_MS);
      tracked.timer.unref();
    }
    this.#open.set(key, tracked);
    // Listening for 'end' and 'error' changes nothing in how grpc-js reads the socket.
    const clientEnded = (): void => {
      tracked.clientEnded = true;
    };
    socket.once('end', clientEnded);
    socket.once('error', clientEnded);
    socket.once('close', () => {
      clearTimeout(tracked.timer);
      if (this.#open.get(key) === tracked) this.#open.delete(key);
      if (tracked.clientEnded || tracked.reaped || this.#closed) return;
      const reason: ServerCloseReason = tracked.hadStream ? 'after_streams' : 'idle';
      this.#options.onServerClosed?.(reason);
      this.#serverCloses[reason].note();
    });
    return true;
  }

  /** A stream opened on the connection with these ends: it is in use. */
  noteStream(ends: ConnectionEnds): void {
    const tracked = this.#open.get(keyOf(ends));
    if (!tracked) return;
    tracked.hadStream = true;
    if (!tracked.timer) return;
    clearTimeout(tracked.timer);
    tracked.timer = undefined;
  }

  /** Stop timers (server stopping); counts not yet logged are logged now. */
  close(): void {
    this.#closed = true;
    this.#refusals.close();
    this.#backstopCloses.close();
    this.#serverCloses.after_streams.close();
    this.#serverCloses.idle.close();
    for (const t of this.#open.values()) clearTimeout(t.timer);
  }
}

/**
 * @module cluster/connection-handoff
 * The primary's xDS listener under `--processes N`: it accepts each
 * connection itself and passes the socket to a serving process over IPC,
 * keeping no copy.
 *
 * Why not node:cluster's round-robin: its primary keeps its copy of each
 * socket until the serving process answers "accepted". A process that died
 * with a hand-off unanswered left that socket open in the primary for good,
 * served by no one: the client saw an open connection that never answered
 * (measured: 1 of about 1,400 connections per death; docs/scaling.md).
 *
 * Here the primary closes its copy as soon as the socket has been written
 * to the IPC channel (the kernel then holds the descriptor in flight, and
 * closes it with the channel if the serving process dies before reading
 * it). Sockets still queued behind an unacknowledged hand-off (Node sends
 * one handle at a time per channel) were never written: when their process
 * exits they go to another serving process, or are closed if none serves.
 * Either way a dead process leaves nothing open and unserved in the
 * primary: the client is served elsewhere, or sees its connection close and
 * reconnects.
 */
import * as net from 'node:net';
import type { Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { HandedConnectionMessage } from './messages';

/** Binds the listening socket: main.ts passes the xDS port's own bind (address, backlog, errors). */
export type BindXdsPort = (server: net.Server) => Promise<{ port: number; host: string }>;

/** What the hand-off needs. */
export interface ConnectionHandoffOptions {
  /** The serving processes that reported serving and are connected, as of now. */
  readonly targets: () => readonly Worker[];
  readonly log: Logger;
}

/** The primary's xDS listener: bind it, then each connection goes to a serving process. */
export class ConnectionHandoff {
  readonly #options: ConnectionHandoffOptions;
  readonly #server: net.Server;
  /** Per serving process, the sockets handed to it that are not yet written to its channel. */
  readonly #inFlight = new Map<Worker, Set<net.Socket>>();
  #next = 0;
  #closed = false;
  #refusedNoTarget = 0;
  #lastRefusalLog = 0;

  constructor(options: ConnectionHandoffOptions) {
    this.#options = options;
    // Paused: the primary never reads a byte, so everything the client sends waits in the kernel for the serving
    // process. noDelay: TCP_NODELAY belongs to the socket and goes with it.
    this.#server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.#handOff(socket));
  }

  /** Bind with `bind`; resolves with the bound port and host. */
  listen(bind: BindXdsPort): Promise<{ port: number; host: string }> {
    return bind(this.#server);
  }

  /** Stop accepting (first thing on a drain or stop); connections already handed over are the serving processes'. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // No callback to wait for: Node's close callback waits for every handed socket to close in the serving processes.
    if (this.#server.listening) this.#server.close();
  }

  /** Hand `socket` to a serving process (not `avoid`, the one a previous attempt failed on). */
  #handOff(socket: net.Socket, attempt = 0, avoid?: Worker): void {
    const worker = attempt < MAX_HANDOFF_ATTEMPTS ? this.#pick(avoid) : undefined;
    if (!worker) {
      // No process is serving (all starting or restarting), or the attempts failed: the client's reconnect
      // backoff retries, as it would after a refused connect.
      socket.destroy();
      this.#refused();
      return;
    }
    let waiting = this.#inFlight.get(worker);
    if (!waiting) {
      const set = new Set<net.Socket>();
      waiting = set;
      this.#inFlight.set(worker, set);
      // A process that dies with hand-offs queued never acknowledges them, and Node neither sends nor closes
      // them: they are still wholly ours, so they go to another serving process (or are closed if none serves).
      worker.once('exit', () => {
        this.#inFlight.delete(worker);
        const stranded = [...set];
        set.clear();
        for (const s of stranded) if (!s.destroyed) this.#handOff(s, attempt + 1, worker);
      });
    }
    const queued = waiting;
    queued.add(socket);
    const done = (err: Error | null): void => {
      // Not ours any more if the process exited meanwhile and the socket went elsewhere.
      if (!queued.delete(socket)) return;
      if (err) {
        // Not written (keepOpen: Node leaves the socket as it was): another process may take it.
        this.#options.log.warn({ err, servingPid: worker.process.pid }, 'could not hand a connection to a serving process; trying another');
        this.#handOff(socket, attempt + 1, worker);
        return;
      }
      // Written to the channel: the kernel holds the descriptor for the serving process, and the primary's copy
      // goes now. (Without keepOpen, Node would hold it until the process acknowledges, forever if it dies first.)
      socket.destroy();
    };
    try {
      worker.send({ kind: 'fanout-xds:connection' } satisfies HandedConnectionMessage, socket, { keepOpen: true }, done);
    } catch (err) {
      done(err as Error);
    }
  }

  /**
   * Round-robin over the serving processes, skipping any with more hand-offs
   * waiting than another (a process whose event loop is busy acknowledges
   * late, as node:cluster's round-robin skipped processes not yet free).
   */
  #pick(avoid: Worker | undefined): Worker | undefined {
    const targets = this.#options.targets();
    let best: Worker | undefined;
    let bestWaiting = Infinity;
    for (let i = 0; i < targets.length; i++) {
      const w = targets[(this.#next + i) % targets.length] as Worker;
      const waiting = this.#inFlight.get(w)?.size ?? 0;
      if (w !== avoid && waiting < bestWaiting) {
        best = w;
        bestWaiting = waiting;
      }
    }
    this.#next = targets.length === 0 ? 0 : (this.#next + 1) % targets.length;
    return best;
  }

  #refused(): void {
    this.#refusedNoTarget++;
    if (Date.now() - this.#lastRefusalLog < REFUSAL_LOG_INTERVAL_MS) return;
    this.#lastRefusalLog = Date.now();
    this.#options.log.warn({ closed: this.#refusedNoTarget }, 'closed connections: no serving process took them (all starting or restarting, or the hand-off failed); clients reconnect');
    this.#refusedNoTarget = 0;
  }
}

/** How many serving processes one connection is offered to before it is closed. */
const MAX_HANDOFF_ATTEMPTS = 3;
/** At most one log line about connections closed for want of a serving process per this interval. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

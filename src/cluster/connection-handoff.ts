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
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { CountedLog } from '../observe/counted-log';
import type { HandedConnectionMessage } from './messages';

/** Binds the listening socket: main.ts passes the xDS port's own bind (address, backlog, errors). */
export type BindXdsPort = (server: net.Server) => Promise<{ port: number; host: string }>;

/** A socket on its way to a serving process, and how many processes it was offered to before. */
interface Handed {
  readonly socket: net.Socket;
  readonly attempt: number;
}

/** One serving process's sockets: waiting for their turn, and the one being sent (its send not yet complete). */
interface WorkerQueue {
  waiting: Handed[];
  sending: Handed | undefined;
}

/** What the hand-off needs. */
export interface ConnectionHandoffOptions {
  /** The serving processes that reported serving and are connected, as of now. */
  readonly targets: () => readonly Worker[];
  readonly log: Logger;
  /** Where `xds_handoff_connections_total` is registered (the primary's own registry). */
  readonly registry: Registry;
}

/**
 * What happened to each connection the primary accepted (one count per hand-off attempt that ended):
 * - handed: written to a serving process's channel; from then on that process serves it.
 * - reoffered: its process exited before taking it, or the send failed; offered to another process.
 * - closed_no_process: closed because no serving process could take it; the client reconnects.
 */
type HandoffOutcome = 'handed' | 'reoffered' | 'closed_no_process';

/** The primary's xDS listener: bind it, then each connection goes to a serving process. */
export class ConnectionHandoff {
  readonly #options: ConnectionHandoffOptions;
  readonly #server: net.Server;
  /** Per serving process, the sockets handed to it that are not yet written to its channel. */
  readonly #queues = new Map<Worker, WorkerQueue>();
  #next = 0;
  #closed = false;
  readonly #outcomes: Counter<'outcome'>;
  /** Closes for want of a serving process come in bursts (all restarting): one line per burst, with its count. */
  readonly #noProcessLog: CountedLog;

  constructor(options: ConnectionHandoffOptions) {
    this.#options = options;
    this.#noProcessLog = new CountedLog(options.log, 'warn', (n) => ({
      fields: { closed: n },
      msg: `closed ${n} connection(s): no serving process took them (all starting or restarting, or the hand-off failed); clients reconnect`,
    }));
    this.#outcomes = new Counter({
      name: 'xds_handoff_connections_total',
      help: 'xDS connections the --processes primary accepted, by what became of each hand-off: handed (to a serving process), reoffered (its process exited or the send failed: offered to another), closed_no_process (no serving process could take it; the client reconnects)',
      labelNames: ['outcome'],
      registers: [options.registry],
    });
    // Every outcome is exported from the start, so a rate of closes reads 0 rather than absent.
    for (const outcome of ['handed', 'reoffered', 'closed_no_process'] satisfies HandoffOutcome[]) this.#outcomes.inc({ outcome }, 0);
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
    this.#noProcessLog.close();
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
    this.#queueOf(worker).waiting.push({ socket, attempt });
    this.#pump(worker);
  }

  /** The hand-off queue of `worker`, made (with its exit handling) on first use. */
  #queueOf(worker: Worker): WorkerQueue {
    const queue = this.#queues.get(worker);
    if (queue) return queue;
    const made: WorkerQueue = { waiting: [], sending: undefined };
    this.#queues.set(worker, made);
    // A process that dies never acknowledges the socket being sent, and Node neither sends nor closes it; the
    // ones still waiting here were never offered. All are still wholly ours: another serving process gets them.
    worker.once('exit', () => {
      this.#queues.delete(worker);
      const stranded = made.sending ? [made.sending, ...made.waiting] : made.waiting;
      made.sending = undefined;
      made.waiting = [];
      for (const h of stranded) {
        if (h.socket.destroyed) continue;
        this.#outcomes.inc({ outcome: 'reoffered' });
        this.#handOff(h.socket, h.attempt + 1, worker);
      }
    });
    return made;
  }

  /**
   * Send `worker` its next waiting socket, one at a time. Node passes one
   * handle per channel at a time and queues the rest until the process
   * acknowledges (from its event loop). Handing it every socket at once
   * collapsed: in a bare script with 20 ms event-loop turns, 600 connections
   * queued at once were served at the usual one per turn, but 1200 were not
   * all served within 60 s. With one send at a time, 1200 took 12.7 s, the
   * same as node:cluster's round-robin.
   */
  #pump(worker: Worker): void {
    const queue = this.#queues.get(worker);
    if (!queue || queue.sending) return;
    let next = queue.waiting.shift();
    while (next?.socket.destroyed) next = queue.waiting.shift();
    if (!next) return;
    const handed = next;
    queue.sending = handed;
    const done = (err: Error | null): void => {
      // Not ours any more if the process exited meanwhile and the socket went elsewhere.
      if (queue.sending !== handed) return;
      queue.sending = undefined;
      if (err) {
        // Not written (keepOpen: Node leaves the socket as it was): another process may take it.
        this.#options.log.warn({ err, servingPid: worker.process.pid }, 'could not hand a connection to a serving process; trying another');
        this.#outcomes.inc({ outcome: 'reoffered' });
        this.#handOff(handed.socket, handed.attempt + 1, worker);
      } else {
        // Written to the channel: the kernel holds the descriptor for the serving process, and the primary's copy
        // goes now. (Without keepOpen, Node would hold it until the process acknowledges, forever if it dies first.)
        handed.socket.destroy();
        this.#outcomes.inc({ outcome: 'handed' });
      }
      this.#pump(worker);
    };
    try {
      worker.send({ kind: 'fanout-xds:connection' } satisfies HandedConnectionMessage, handed.socket, { keepOpen: true }, done);
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
      const q = this.#queues.get(w);
      const waiting = q ? q.waiting.length + (q.sending ? 1 : 0) : 0;
      if (w !== avoid && waiting < bestWaiting) {
        best = w;
        bestWaiting = waiting;
      }
    }
    this.#next = targets.length === 0 ? 0 : (this.#next + 1) % targets.length;
    return best;
  }

  #refused(): void {
    this.#outcomes.inc({ outcome: 'closed_no_process' });
    this.#noProcessLog.note();
  }
}

/** How many serving processes one connection is offered to before it is closed. */
const MAX_HANDOFF_ATTEMPTS = 3;

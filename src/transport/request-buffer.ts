/**
 * @module transport/request-buffer
 * Bounds on request bytes received but not yet a whole message. grpc-js
 * reads a request's bytes as they arrive and keeps them until the message is
 * complete, up to the announced length (which may be anything up to
 * --max-receive-bytes), and HTTP/2 flow control does not help because
 * grpc-js keeps reading while a message is incomplete. So 16 streams on one
 * connection, each announcing 60 MiB and sending 16 MiB, made the server
 * hold 256 MiB; a few connections more and it is out of memory.
 *
 * We watch each stream's DATA (beside grpc-js, never instead of it) and
 * parse only the 5-byte gRPC message headers, so we know which received
 * bytes belong to an unfinished message. Two ledgers, per connection and
 * server-wide: when either goes over its limit, the stream holding the most
 * unfinished bytes under it (on that connection, or anywhere) is refused
 * with RESOURCE_EXHAUSTED and reset, which frees its bytes. Taking the
 * largest holder, not the newcomer, keeps a flood of partial messages from
 * locking out clients sending ordinary requests.
 */
import type { Http2Stream } from './http2-stream';

/** Default bound on unfinished request bytes per connection: one largest request (--max-receive-bytes default). */
export const DEFAULT_MAX_CONNECTION_REQUEST_BUFFER_BYTES = 64 * 1024 * 1024;
/** Default bound on unfinished request bytes across the server. */
export const DEFAULT_MAX_REQUEST_BUFFER_BYTES = 256 * 1024 * 1024;

const GRPC_HEADER_BYTES = 5;

/** Which ledger a refusal came from. */
export type RequestBufferLimit = 'connection' | 'server';

/** Called (once) for a stream that must go: refuse it and reset it. */
export type RefuseStream = (limit: RequestBufferLimit, heldBytes: number, limitBytes: number) => void;

/** One stream's unfinished request message, and where it is counted. */
interface Watched {
  /** Bytes of the read buffers its unfinished message references (its share, for choosing whom to refuse). */
  held: number;
  /**
   * Those read buffers; undefined while there are none, which is most of a
   * stream's life (a Set per stream would cost every connected node ~0.2 KiB).
   */
  buffers: Set<ArrayBufferLike> | undefined;
  /** Its connection's HTTP/2 session, the key of the connection's ledger. */
  readonly session: object;
  readonly refuse: RefuseStream;
  refused: boolean;
}

/** Streams holding unfinished bytes, and their total. */
class Ledger {
  held = 0;
  /** Streams holding unfinished bytes (the only candidates for refusal). */
  readonly holders = new Set<Watched>();

  largest(): Watched | undefined {
    let top: Watched | undefined;
    for (const w of this.holders) if (!top || w.held > top.held) top = w;
    return top;
  }
}

/** One connection's ledger: its read buffers are counted once however many streams reference them. */
class ConnectionLedger extends Ledger {
  readonly refs = new Map<ArrayBufferLike, number>();
}

/** Shared by every connection of one server. */
export class RequestBufferLimits {
  readonly perConnectionBytes: number;
  readonly serverBytes: number;
  readonly #server = new Ledger();
  /**
   * Ledgers of the connections whose streams hold unfinished bytes now, by
   * session. A ledger is made by the first hold and dropped when its last
   * holder releases, so an idle connection costs nothing here.
   */
  readonly #connections = new WeakMap<object, ConnectionLedger>();

  constructor(perConnectionBytes: number = DEFAULT_MAX_CONNECTION_REQUEST_BUFFER_BYTES, serverBytes: number = DEFAULT_MAX_REQUEST_BUFFER_BYTES) {
    this.perConnectionBytes = perConnectionBytes;
    this.serverBytes = serverBytes;
  }

  /** Bytes of read buffers held for unfinished request messages, across the server, now. */
  get held(): number {
    return this.#server.held;
  }

  /**
   * Count `stream`'s unfinished request bytes until it closes; `refuse` runs
   * (once) if it must go, and its bytes are then no longer counted.
   *
   * What is counted is memory, not message bytes: Node hands DATA to
   * grpc-js as slices of the socket read buffer (64 KiB), and grpc-js keeps
   * the slices of an unfinished message, so each read buffer such a slice
   * points into stays alive whole, even the parts that belonged to other
   * streams. Each of those buffers is counted once per connection.
   */
  watch(stream: Http2Stream, refuse: RefuseStream): void {
    const session = stream.session as object | undefined;
    if (!session) return;
    const w: Watched = { held: 0, buffers: undefined, session, refuse, refused: false };
    // Parse state: bytes of the current 5-byte header read so far, its length field, message bytes still to come.
    let headerRead = 0;
    let length = 0;
    let remaining = 0;
    stream.on('data', (chunk: Buffer) => {
      if (w.refused) return;
      let unfinished = false;
      let off = 0;
      while (off < chunk.length) {
        if (remaining === 0) {
          // Byte 0 is the compressed flag; bytes 1-4 the big-endian length.
          if (headerRead > 0) length = length * 256 + (chunk[off] ?? 0);
          headerRead++;
          off++;
          if (headerRead === GRPC_HEADER_BYTES) {
            remaining = length;
            headerRead = 0;
            length = 0;
          }
          continue;
        }
        const take = Math.min(remaining, chunk.length - off);
        remaining -= take;
        off += take;
        // A whole message leaves grpc-js's decoder as one copy; the slices it kept go.
        if (remaining === 0) this.#release(w);
        else unfinished = true;
      }
      if (!unfinished || w.buffers?.has(chunk.buffer)) return;
      const ledger = this.#hold(w, chunk.buffer);
      this.#enforce(ledger, 'connection', this.perConnectionBytes);
      this.#enforce(this.#server, 'server', this.serverBytes);
    });
    stream.once('close', () => this.#release(w));
  }

  /** Count `buffer` for `w`; returns its connection's ledger. */
  #hold(w: Watched, buffer: ArrayBufferLike): ConnectionLedger {
    let ledger = this.#connections.get(w.session);
    if (!ledger) {
      ledger = new ConnectionLedger();
      this.#connections.set(w.session, ledger);
    }
    (w.buffers ??= new Set()).add(buffer);
    w.held += buffer.byteLength;
    ledger.holders.add(w);
    this.#server.holders.add(w);
    const refs = ledger.refs.get(buffer) ?? 0;
    ledger.refs.set(buffer, refs + 1);
    if (refs === 0) {
      ledger.held += buffer.byteLength;
      this.#server.held += buffer.byteLength;
    }
    return ledger;
  }

  #release(w: Watched): void {
    // Every finished message comes here (an ACK per stream per push): leave before any lookup when nothing is held.
    const buffers = w.buffers;
    if (!buffers) return;
    const ledger = this.#connections.get(w.session);
    if (!ledger) return;
    for (const buffer of buffers) {
      const refs = (ledger.refs.get(buffer) ?? 1) - 1;
      if (refs > 0) {
        ledger.refs.set(buffer, refs);
        continue;
      }
      ledger.refs.delete(buffer);
      ledger.held -= buffer.byteLength;
      this.#server.held -= buffer.byteLength;
    }
    w.buffers = undefined;
    w.held = 0;
    ledger.holders.delete(w);
    this.#server.holders.delete(w);
    // Its last holder gone, the ledger is empty (every ref was a holder's): drop it until the next hold.
    if (ledger.holders.size === 0) this.#connections.delete(w.session);
  }

  /** While `ledger` is over `limit`, refuse its largest holder; its buffers go with its reset. */
  #enforce(ledger: Ledger, limit: RequestBufferLimit, limitBytes: number): void {
    while (ledger.held > limitBytes) {
      const victim = ledger.largest();
      if (!victim) return;
      const held = victim.held;
      victim.refused = true;
      this.#release(victim);
      victim.refuse(limit, held, limitBytes);
    }
  }
}

/**
 * @module transport/stream-writer
 * The ResponseSink over one grpc-js call: builds (or reuses) the body, adds
 * the nonce, writes the framed message (framed-message.ts), and reports
 * backpressure so the stream coalesces instead of queueing (DESIGN.md
 * principle 4).
 */
import * as grpc from '@grpc/grpc-js';
import type { DeltaPlan, ResponseSink, SotwPlan } from '../stream';
import type { FramedMessage } from './framed-message';
import { buildDeltaBody, buildSotwBody, withNonce } from './response-builder';
import type { ResponseCache } from './response-cache';
import { BUDGETED_WRITE_MIN_BYTES, WRITE_STALL_MS } from './write-budget';
import type { WriteBudget } from './write-budget';

/** Counters the writers add to. */
export interface WriteStats {
  responses: number;
  bytes: number;
}

type Call = grpc.ServerDuplexStream<Buffer, FramedMessage>;

/** Where a stream's one large unflushed write is in the budget. */
type LargeWrite = 'none' | 'in-flight' | 'stalled';

abstract class CallSink<P extends { typeUrl: string; shareKey?: unknown }> implements ResponseSink<P> {
  readonly #call: Call;
  readonly #cache: ResponseCache;
  readonly #stats: WriteStats;
  readonly #onWrite: ((typeUrl: string, bytes: number) => void) | undefined;
  readonly #onEvicted: (() => void) | undefined;
  readonly #budget: WriteBudget;
  /** Highest shared-message serial this stream has been sent; shared nonces must keep increasing. */
  #sharedSerial = 0;
  /**
   * The stream's one large write not yet flushed, if any. While there is one
   * the stream sends nothing more: its changes coalesce into pending (latest
   * wins) and go out when the write drains. So a client that stops reading
   * pins one response, never a queue of them.
   */
  #large: LargeWrite = 'none';
  #largeBytes = 0;
  #stallTimer: NodeJS.Timeout | undefined;
  /** Bytes written and not yet reported flushed by grpc-js. */
  #outstanding = 0;
  /**
   * Sizes of the small writes not yet reported flushed, oldest first. A
   * Node Writable calls write callbacks in write order, so one callback bound
   * once takes the oldest size: no closure per write (a fan-out writes once
   * per stream per push).
   */
  readonly #smallSizes: number[] = [];
  readonly #smallFlushed = (): void => {
    const bytes = this.#smallSizes.shift();
    if (!this.#closed && bytes !== undefined) this.#outstanding -= bytes;
  };
  #drain: (() => void) | undefined;
  readonly #wake = (): void => this.#drain?.();
  /**
   * Called by the budget (once per stall) when this stream's stalled write
   * must go. The write stays 'stalled' here, so the stream sends nothing
   * more before the reset closes it.
   */
  readonly #evict = (): void => {
    if (!this.#closed) this.#onEvicted?.();
  };
  #closed = false;
  /** What the last write's grpc-js call returned (see ResponseSink.mayWriteMore). */
  #mayWriteMore = true;
  readonly #buildShared = (plan: P): Buffer => this.build(plan);

  /**
   * `onEvicted` runs when the server-wide stalled ledger is full and this
   * stream, having stalled longest, must give its response back: the caller
   * resets the stream. Without it an evicted stream is merely forgotten by
   * the ledger.
   */
  constructor(call: Call, cache: ResponseCache, stats: WriteStats, budget: WriteBudget, onWrite?: (typeUrl: string, bytes: number) => void, onEvicted?: () => void) {
    this.#call = call;
    this.#cache = cache;
    this.#stats = stats;
    this.#budget = budget;
    this.#onWrite = onWrite;
    this.#onEvicted = onEvicted;
  }

  get unflushedBytes(): number {
    return this.#outstanding;
  }

  ready(): boolean {
    if (this.#closed) return true;
    // The flush of the large write wakes the stream (see #send).
    if (this.#large !== 'none') return false;
    return this.#budget.reserveTurn(this.#wake);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#budget.forget(this.#wake);
    this.#settleLarge();
    this.#outstanding = 0;
    this.#smallSizes.length = 0;
  }

  /** The large write flushed, or the stream closed: take it out of whichever ledger holds it. */
  #settleLarge(): void {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    if (this.#large === 'in-flight') this.#budget.release(this.#largeBytes);
    else if (this.#large === 'stalled') this.#budget.unstall(this.#evict);
    this.#large = 'none';
    this.#largeBytes = 0;
  }

  /** Write and count the bytes until grpc-js reports them flushed; returns whether more may be written now. */
  #send(message: FramedMessage, bytes: number): boolean {
    this.#outstanding += bytes;
    if (bytes < BUDGETED_WRITE_MIN_BYTES) {
      // An update fan-out writes a few hundred bytes per stream: no budget share, no stall timer.
      this.#smallSizes.push(bytes);
      return this.#call.write(message, this.#smallFlushed);
    }
    this.#budget.add(bytes);
    this.#large = 'in-flight';
    this.#largeBytes = bytes;
    // A reader that stopped must not hold the in-flight budget: after WRITE_STALL_MS its write counts as stalled.
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      if (this.#closed || this.#large !== 'in-flight') return;
      this.#large = 'stalled';
      this.#budget.stall(bytes, this.#evict);
    }, WRITE_STALL_MS);
    this.#stallTimer.unref();
    this.#call.write(message, () => {
      if (this.#closed) return;
      this.#outstanding -= bytes;
      this.#settleLarge();
      this.#wake();
    });
    return false;
  }

  protected abstract build(plan: P): Buffer;

  get mayWriteMore(): boolean {
    return this.#mayWriteMore;
  }

  write(plan: P, streamNonce: () => string): string {
    let message: FramedMessage;
    let nonce: string;
    const key = plan.shareKey;
    if (typeof key === 'string' || (typeof key === 'object' && key !== null)) {
      const shared = this.#cache.get(key, this.#buildShared, plan);
      if (shared.serial > this.#sharedSerial) {
        // The shared message's own nonce is new to this stream: send it untouched.
        this.#sharedSerial = shared.serial;
        message = shared.message;
        nonce = shared.nonce;
      } else {
        nonce = streamNonce();
        message = withNonce(shared.body, nonce);
      }
    } else {
      nonce = streamNonce();
      message = withNonce(this.build(plan), nonce);
    }
    const bytes = message.payloadLength;
    this.#stats.responses++;
    this.#stats.bytes += bytes;
    this.#onWrite?.(plan.typeUrl, bytes);
    this.#mayWriteMore = this.#send(message, bytes);
    return nonce;
  }

  onDrain(callback: () => void): void {
    this.#drain = callback;
    this.#call.on('drain', callback);
  }

  end(code: number, details: string): void {
    this.#call.emit('error', { code, details, metadata: new grpc.Metadata() });
  }
}

/** Sink for SotW streams. */
export class SotwCallSink extends CallSink<SotwPlan> {
  protected build(plan: SotwPlan): Buffer {
    return buildSotwBody(plan);
  }
}

/** Sink for delta streams. */
export class DeltaCallSink extends CallSink<DeltaPlan> {
  protected build(plan: DeltaPlan): Buffer {
    return buildDeltaBody(plan);
  }
}

/**
 * @module transport/stream-writer
 * The ResponseSink over one grpc-js call: builds (or reuses) the body, adds
 * the nonce, writes the Buffer, and reports backpressure so the stream
 * coalesces instead of queueing (DESIGN.md principle 4).
 */
import * as grpc from '@grpc/grpc-js';
import type { DeltaPlan, ResponseSink, SotwPlan } from '../stream';
import { buildDeltaBody, buildSotwBody, withNonce } from './response-builder';
import type { ResponseCache } from './response-cache';
import { BUDGETED_WRITE_MIN_BYTES, WRITE_STALL_MS } from './write-budget';
import type { WriteBudget } from './write-budget';

/** Counters the writers add to. */
export interface WriteStats {
  responses: number;
  bytes: number;
}

type Call = grpc.ServerDuplexStream<Buffer, Buffer>;

abstract class CallSink<P extends { typeUrl: string; shareKey?: unknown }> implements ResponseSink<P> {
  readonly #call: Call;
  readonly #cache: ResponseCache;
  readonly #stats: WriteStats;
  readonly #onWrite: ((typeUrl: string, bytes: number) => void) | undefined;
  readonly #budget: WriteBudget;
  /** Highest shared-message serial this stream has been sent; shared nonces must keep increasing. */
  #sharedSerial = 0;
  /** Bytes of this stream's writes still counted in the budget. */
  #held = 0;
  /** Bytes written and not yet reported flushed by grpc-js. */
  #outstanding = 0;
  #drain: (() => void) | undefined;
  readonly #wake = (): void => this.#drain?.();
  #closed = false;

  constructor(call: Call, cache: ResponseCache, stats: WriteStats, budget: WriteBudget, onWrite?: (typeUrl: string, bytes: number) => void) {
    this.#call = call;
    this.#cache = cache;
    this.#stats = stats;
    this.#budget = budget;
    this.#onWrite = onWrite;
  }

  get unflushedBytes(): number {
    return this.#outstanding;
  }

  ready(): boolean {
    return this.#closed || this.#budget.reserveTurn(this.#wake);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#budget.forget(this.#wake);
    if (this.#held > 0) this.#budget.release(this.#held);
    this.#held = 0;
    this.#outstanding = 0;
  }

  /** Write and count the bytes until grpc-js reports them flushed (or they stall). */
  #send(message: Buffer): boolean {
    const bytes = message.length;
    this.#outstanding += bytes;
    if (bytes < BUDGETED_WRITE_MIN_BYTES) {
      // An update fan-out writes a few hundred bytes per stream: no budget share, no stall timer.
      return this.#call.write(message, () => {
        if (!this.#closed) this.#outstanding -= bytes;
      });
    }
    this.#budget.add(bytes);
    this.#held += bytes;
    let holding = true;
    // The budget share comes back on flush, or after WRITE_STALL_MS for a reader that stopped.
    const giveBack = (): void => {
      if (!holding) return;
      holding = false;
      if (this.#closed) return;
      this.#held -= bytes;
      this.#budget.release(bytes);
    };
    const stall = setTimeout(giveBack, WRITE_STALL_MS);
    stall.unref();
    return this.#call.write(message, () => {
      clearTimeout(stall);
      if (!this.#closed) this.#outstanding -= bytes;
      giveBack();
    });
  }

  protected abstract build(plan: P): Buffer;

  write(plan: P, streamNonce: () => string): { nonce: string; more: boolean } {
    let message: Buffer;
    let nonce: string;
    const key = plan.shareKey;
    if (typeof key === 'string' || (typeof key === 'object' && key !== null)) {
      const shared = this.#cache.get(key, () => this.build(plan));
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
    this.#stats.responses++;
    this.#stats.bytes += message.length;
    this.#onWrite?.(plan.typeUrl, message.length);
    return { nonce, more: this.#send(message) };
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

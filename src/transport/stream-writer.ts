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

/** Counters the writers add to. */
export interface WriteStats {
  responses: number;
  bytes: number;
}

type Call = grpc.ServerDuplexStream<Buffer, Buffer>;

abstract class CallSink<P extends { typeUrl: string; nonce: string; shareKey?: unknown }> implements ResponseSink<P> {
  readonly #call: Call;
  readonly #cache: ResponseCache;
  readonly #stats: WriteStats;
  readonly #onWrite: ((typeUrl: string, bytes: number) => void) | undefined;

  constructor(call: Call, cache: ResponseCache, stats: WriteStats, onWrite?: (typeUrl: string, bytes: number) => void) {
    this.#call = call;
    this.#cache = cache;
    this.#stats = stats;
    this.#onWrite = onWrite;
  }

  protected abstract build(plan: P): Buffer;

  write(plan: P): boolean {
    const body = this.#cache.get(plan.shareKey, () => this.build(plan));
    const message = withNonce(body, plan.nonce);
    this.#stats.responses++;
    this.#stats.bytes += message.length;
    this.#onWrite?.(plan.typeUrl, message.length);
    return this.#call.write(message);
  }

  onDrain(callback: () => void): void {
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

/**
 * @module transport/limits
 * Admission control and per-stream limits: what keeps one noisy client or a
 * reconnect storm from taking the server down. Every refusal is a gRPC
 * status the client understands (RESOURCE_EXHAUSTED: back off, or try
 * another replica) and affects only that stream.
 */
import type { StreamLimits } from '../api-types';
import { TokenBucket } from './token-bucket';

/** What each limit is when `StreamLimits` leaves it out. */
export const DEFAULT_LIMITS: Required<StreamLimits> = {
  admissionPerSecond: 0,
  admissionBurst: 1000,
  maxNamesPerRequest: 250_000,
  // Envoy's node lists every compiled-in extension (hundreds, each with its type URLs): room for that and large metadata.
  maxNodeEntries: 10_000,
  requestsPerSecond: 200,
  requestBurst: 20_000,
};

/** Why a stream was refused or ended. */
export type LimitVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly message: string };

const OK: LimitVerdict = { ok: true };

/** Server-wide admission of new streams. */
export class Admission {
  readonly #bucket: TokenBucket | undefined;
  readonly limits: Required<StreamLimits>;

  constructor(limits: StreamLimits = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...stripUndefined(limits) };
    this.#bucket = this.limits.admissionPerSecond > 0 ? new TokenBucket(this.limits.admissionPerSecond, this.limits.admissionBurst) : undefined;
  }

  /** Admit a new stream, or say why not. */
  admit(): LimitVerdict {
    if (!this.#bucket || this.#bucket.take()) return OK;
    return { ok: false, reason: 'admission', message: `too many new streams (limit ${this.limits.admissionPerSecond}/s); retry with backoff or use another replica` };
  }

  /** Per-stream request rate checker (the name count is checked by the decoder, before the request is whole). */
  forStream(): () => LimitVerdict {
    const bucket = new TokenBucket(this.limits.requestsPerSecond, this.limits.requestBurst);
    return () => {
      if (!bucket.take()) return { ok: false, reason: 'rate', message: `stream exceeded ${this.limits.requestsPerSecond} requests/s` };
      return OK;
    };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * @module test/helpers/response-queue
 * The test client's inbox: responses not yet consumed by the test, and the
 * test's pending waits for them. A wait names a type URL (or any type);
 * responses of other types stay queued for a later wait, so a test can
 * follow one type without losing the others.
 */
import type { Received } from './xds-codec';

interface Waiter {
  readonly typeUrl: string | undefined;
  readonly resolve: (r: Received) => void;
  readonly reject: (e: Error) => void;
}

function matches(typeUrl: string | undefined, r: Received): boolean {
  return typeUrl === undefined || r.typeUrl === typeUrl;
}

/** One line per response, for failure messages. */
export function describeResponse(r: Received): string {
  const removed = r.removed.length > 0 ? ` removed=[${r.removed.slice(0, 10).join(',')}]` : '';
  return `#${r.index} ${r.typeUrl.split('.').pop()} v="${r.versionInfo}" nonce="${r.nonce}" [${r.names.slice(0, 10).join(',')}]${removed}`;
}

/** Unconsumed responses plus waiters. */
export class ResponseQueue {
  readonly #queue: Received[] = [];
  readonly #waiters: Waiter[] = [];

  /** Hand a response to the first matching waiter, or queue it. */
  push(r: Received): void {
    const i = this.#waiters.findIndex((w) => matches(w.typeUrl, r));
    if (i >= 0) this.#waiters.splice(i, 1)[0]?.resolve(r);
    else this.#queue.push(r);
  }

  /** Take the first queued match now, if any. */
  take(typeUrl: string | undefined): Received | undefined {
    const i = this.#queue.findIndex((r) => matches(typeUrl, r));
    return i >= 0 ? this.#queue.splice(i, 1)[0] : undefined;
  }

  /** Wait for the next match; `onTimeout` builds the error message. */
  wait(typeUrl: string | undefined, timeoutMs: number, onTimeout: () => string): Promise<Received> {
    const queued = this.take(typeUrl);
    if (queued) return Promise.resolve(queued);
    return new Promise<Received>((resolve, reject) => {
      const waiter: Waiter = {
        typeUrl,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(new Error(onTimeout()));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Queued responses (of a type), without consuming them. */
  peek(typeUrl?: string): Received[] {
    return this.#queue.filter((r) => matches(typeUrl, r));
  }

  /** Remove and return queued responses (of a type). */
  drain(typeUrl?: string): Received[] {
    const out = this.peek(typeUrl);
    for (const r of out) this.#queue.splice(this.#queue.indexOf(r), 1);
    return out;
  }

  /** Reject every pending wait (stream ended or client closed). */
  failWaiters(message: (typeUrl: string | undefined) => string): void {
    for (const w of this.#waiters.splice(0)) w.reject(new Error(message(w.typeUrl)));
  }
}

/**
 * @module stream/nonce
 * Nonces: non-empty, unique within a stream, meaningless on any other stream
 * (xds_protocol.rst §Basic Protocol Overview). A per-stream counter is enough;
 * a random stream prefix makes a nonce leaked from another stream never match.
 */
import { randomBytes } from 'node:crypto';

/** Issues a stream's nonces. */
export class NonceSequence {
  readonly #prefix = randomBytes(3).toString('hex');
  #next = 0;

  /** A fresh nonce. */
  next(): string {
    return `${this.#prefix}${(++this.#next).toString(36)}`;
  }
}

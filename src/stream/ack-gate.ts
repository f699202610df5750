/**
 * @module stream/ack-gate
 * The ACK gate of one type on one stream, as named states with the only
 * transitions allowed (docs/protocol.md B10, C18: the nonce decides what a
 * reply answers):
 *
 *   idle ──sent──▶ awaiting-ack ──ack──▶ acked ──sent──▶ awaiting-ack …
 *                       │       ──nack─▶ nacked ─sent──▶ awaiting-ack …
 *   idle ──resumed──▶ acked     (SotW reconnect already holding this state, B15)
 *
 * A reply repeating the latest nonce while acked or nacked (a client that
 * changes its subscription right after an ACK) settles again. While a
 * response is awaiting a reply, further ones for the type are held and
 * coalesce in its pending work.
 */
import type { NackRecord } from './snapshot';

/** Where one type's latest response stands with the client. */
export type AckState = 'idle' | 'awaiting-ack' | 'acked' | 'nacked';

/** The ACK gate and what it remembers for status pages. */
export class AckGate {
  #state: AckState = 'idle';
  /** The last settled reply was a NACK: stays true while the next response awaits its reply. */
  #rejected = false;
  #nonce: string | undefined;
  #sentVersion = '';
  #ackedVersion = '';
  #lastNack: NackRecord | undefined;
  #sentFirstName = '';
  #sentCount = 0;

  get state(): AckState {
    return this.#state;
  }

  /** A response is out and neither ACKed nor NACKed: hold further ones. */
  get awaitingAck(): boolean {
    return this.#state === 'awaiting-ack';
  }

  /** The latest reply for this type was a NACK (cleared by the next ACK). */
  get rejected(): boolean {
    return this.#rejected;
  }

  /** Nonce of the last response sent, if any. */
  get nonce(): string | undefined {
    return this.#nonce;
  }

  /** Version info of the last response sent / ACKed ('' before any). */
  get sentVersion(): string {
    return this.#sentVersion;
  }

  get ackedVersion(): string {
    return this.#ackedVersion;
  }

  get lastNack(): NackRecord | undefined {
    return this.#lastNack;
  }

  /** The first resource of the last response sent ('' for none): what a NACK of it rejected (rollout status). */
  get sentFirstName(): string {
    return this.#sentFirstName;
  }

  /** How many resources the last response sent carried. */
  get sentCount(): number {
    return this.#sentCount;
  }

  /** Whether a reply carrying `nonce` answers the latest response. */
  answers(nonce: string): boolean {
    return this.#nonce !== undefined && nonce === this.#nonce;
  }

  /** any → awaiting-ack: a response went out. */
  sent(nonce: string, version: string, firstName: string, count: number): void {
    this.#state = 'awaiting-ack';
    this.#nonce = nonce;
    this.#sentVersion = version;
    this.#sentFirstName = firstName;
    this.#sentCount = count;
  }

  /** awaiting-ack | acked | nacked → acked: the latest response was applied. */
  ack(): void {
    if (this.#state === 'idle') throw new Error('ACK gate: an ACK before any response was sent');
    this.#state = 'acked';
    this.#rejected = false;
    this.#ackedVersion = this.#sentVersion;
  }

  /** awaiting-ack | acked | nacked → nacked: the latest response was rejected; `message` already bounded. */
  nack(message: string, at: number): void {
    if (this.#state === 'idle') throw new Error('ACK gate: a NACK before any response was sent');
    this.#state = 'nacked';
    this.#rejected = true;
    this.#lastNack = { version: this.#sentVersion, message, at };
  }

  /** idle → acked: nothing was sent because the client already holds `version` (SotW reconnect, B15). */
  resumed(version: string): void {
    if (this.#state !== 'idle') throw new Error(`ACK gate: resumed while ${this.#state}`);
    this.#state = 'acked';
    this.#sentVersion = this.#ackedVersion = version;
  }
}

/**
 * @module stream/snapshot
 * A read-only picture of one stream, for CSDS and the admin /nodes page:
 * readers get copies taken in one go, so they never see (or depend on) the
 * mutable per-type fields of either variant, and a reader that yields
 * between entries (CSDS does) answers from one consistent moment.
 */
import type { NodeInfo } from './requests';
import type { Variant } from './stream-context';

/** The latest NACK of one type. */
export interface NackRecord {
  /** Version info of the rejected response. */
  readonly version: string;
  /** The client's error detail, already escaped and cut (observe/client-string). */
  readonly message: string;
  /** When it arrived (ms since the epoch). */
  readonly at: number;
}

/** One type on one stream, as of describe(). */
export interface TypeSnapshot {
  readonly typeUrl: string;
  readonly wildcard: boolean;
  /** Explicitly subscribed names. */
  readonly names: ReadonlySet<string>;
  readonly sentVersion: string;
  readonly ackedVersion: string;
  /** Nonce of the last response sent, if any. */
  readonly nonce: string | undefined;
  /** A response is out and neither ACKed nor NACKed. */
  readonly awaitingAck: boolean;
  /** The latest reply was a NACK. */
  readonly rejected: boolean;
  /** Work not yet sent: every subscribed name, or how many names. */
  readonly pending: 'all' | number;
  readonly lastNack: NackRecord | undefined;
  /** Whether the client has been sent `version` of `name` (SotW: the name had nothing pending and a response went out). */
  sentCurrent(name: string, version: string): boolean;
}

/** One stream, as of describe(). */
export interface StreamSnapshot {
  /** Undefined until the first request. */
  readonly node: NodeInfo | undefined;
  readonly group: string;
  readonly variant: Variant;
  readonly peer: string;
  readonly blocked: boolean;
  readonly unflushedBytes: number;
  readonly types: readonly TypeSnapshot[];
}

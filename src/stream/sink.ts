/**
 * @module stream/sink
 * What stream state asks the transport to write. Plans name stored resources;
 * the transport assembles bytes from their pre-encoded entries and may share
 * one built body across streams through `shareKey`.
 */
import type { EncodedResource } from '../encode';

/** One SotW DiscoveryResponse to send. */
export interface SotwPlan {
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly resources: readonly EncodedResource[];
  /** Same key ⇒ same body bytes; lets the transport build the body once for many streams. */
  readonly shareKey?: unknown;
}

/** What a delta response needs of a resource: usually the stored one, sometimes one built for an alias. */
export type DeltaEntry = Pick<EncodedResource, 'name' | 'version' | 'deltaEntry'>;

/** One DeltaDiscoveryResponse to send. */
export interface DeltaPlan {
  readonly typeUrl: string;
  readonly systemVersionInfo: string;
  readonly resources: readonly DeltaEntry[];
  readonly removed: readonly string[];
  readonly shareKey?: unknown;
}

/** The transport side of one stream. */
export interface ResponseSink<P> {
  /**
   * Write one response. `streamNonce` issues a nonce unique to this stream;
   * the sink may instead use the nonce already inside a shared, pre-built
   * message (unique within the stream too). Returns the nonce used;
   * whether more may be written now is then {@link mayWriteMore}. (Not a
   * `{nonce, more}` result: that is an object per stream per push.)
   */
  write(plan: P, streamNonce: () => string): string;
  /** After the last write: whether more may be written now (false: wait for `onDrain`). */
  readonly mayWriteMore: boolean;
  /**
   * Whether a write may start now: this stream has no large response still
   * unflushed, and the server-wide in-flight budget has room. If not, the
   * `onDrain` callback runs once both hold.
   */
  ready(): boolean;
  /** Register the callback run when a full buffer drains or the budget has room again. */
  onDrain(callback: () => void): void;
  /** The stream is gone: give back whatever it still holds. */
  close(): void;
  /** Bytes written to this stream that grpc-js has not yet reported flushed (a slow reader shows here). */
  readonly unflushedBytes: number;
  /** End the call with a gRPC status (code, details). */
  end(code: number, details: string): void;
}

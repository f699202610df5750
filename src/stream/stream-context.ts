/**
 * @module stream/stream-context
 * What every stream needs from the rest of the server, passed in by the
 * composition root: the store to read, the scheduler to register with, the
 * server's fan-out memo, a logger, and hooks for counters.
 */
import type { Logger } from 'pino';
import type { ResourceStore } from '../store';
import type { PushScheduler } from '../push';
import type { ErrorDetail, NodeInfo } from './requests';
import type { FanoutMemo } from './fanout-memo';

/** Counters and hooks streams report into. Every member optional. */
export interface StreamEvents {
  onStreamOpen?(variant: Variant, node: NodeInfo, peer: string): void;
  onStreamClose?(variant: Variant, node: NodeInfo | undefined): void;
  onNack?(variant: Variant, typeUrl: string, node: NodeInfo, detail: ErrorDetail, version: string): void;
  /** A response was written: its size in bytes. */
  onResponse?(variant: Variant, typeUrl: string, bytes: number): void;
  /** A change reached this stream's socket buffer `ms` after it was committed. */
  onPushLatency?(variant: Variant, ms: number): void;
}

/** SotW or delta. */
export type Variant = 'sotw' | 'delta';

/** Shared dependencies of all streams. */
export interface StreamContext {
  readonly store: ResourceStore;
  readonly scheduler: PushScheduler;
  readonly logger: Logger;
  /** The server's shared fan-out work (name sets, list transitions, state versions, share keys); one per server. */
  readonly memo: FanoutMemo;
  /**
   * False until the first configuration is committed: streams hold every
   * response until then, so a reconnecting node is never told its resources
   * are gone by a server that has not loaded its config yet.
   */
  isReady(): boolean;
  /** Whether a loadable proto defines this type URL's message. */
  isKnownType(typeUrl: string): boolean;
  readonly events: StreamEvents;
}

/** A request the stream cannot accept; the transport ends that stream with this status. */
export class StreamRequestError extends Error {
  readonly grpcCode: number;
  constructor(grpcCode: number, message: string) {
    super(message);
    this.name = 'StreamRequestError';
    this.grpcCode = grpcCode;
  }
}

/** gRPC status codes stream/ uses, kept here so it need not import grpc-js. */
export const INVALID_ARGUMENT = 3;
export const INTERNAL = 13;

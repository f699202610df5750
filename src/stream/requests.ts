/**
 * @module stream/requests
 * Decoded requests as the per-stream state machines see them. The transport
 * decodes the wire bytes; these shapes keep stream/ free of protobufjs.
 */

/** What we keep of `envoy.config.core.v3.Node`. */
export interface NodeInfo {
  readonly id: string;
  readonly cluster: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly clientFeatures: readonly string[];
  readonly userAgent: string;
}

/** `google.rpc.Status` of a NACK. */
export interface ErrorDetail {
  readonly code: number;
  readonly message: string;
}

/** A state-of-the-world DiscoveryRequest. */
export interface SotwRequest {
  readonly versionInfo: string;
  /** The node (may be decoded lazily, on first access: read it only when needed). */
  readonly node?: NodeInfo;
  /** The names (may be decoded lazily, on first access). */
  readonly resourceNames: readonly string[];
  /** How many names, without decoding them. */
  readonly nameCount: number;
  /**
   * The raw `resource_names` bytes, interned: equal lists are the same Buffer
   * object, so `===` says "unchanged" without decoding. Undefined when empty
   * or not contiguous.
   */
  readonly namesKey?: Buffer;
  readonly typeUrl: string;
  readonly responseNonce: string;
  readonly errorDetail?: ErrorDetail;
}

/** A DeltaDiscoveryRequest. */
export interface DeltaRequest {
  /** The node (may be decoded lazily, on first access: read it only when needed). */
  readonly node?: NodeInfo;
  readonly typeUrl: string;
  /** The names to subscribe (may be decoded lazily, on first access). */
  readonly subscribe: readonly string[];
  /**
   * The raw `resource_names_subscribe` bytes, interned: equal lists are the
   * same Buffer object, so a list thousands of streams send is recognised
   * without decoding. Undefined when empty, not contiguous or not interned.
   */
  readonly subscribeKey?: Buffer;
  readonly unsubscribe: readonly string[];
  readonly initialVersions: ReadonlyMap<string, string>;
  readonly responseNonce: string;
  readonly errorDetail?: ErrorDetail;
}

/**
 * The nonce of a reply the transport recognised from its bytes without
 * decoding it (transport/plain-ack.ts): compared in place, so an ACK builds
 * no string and no request object.
 */
export interface ReplyNonce {
  /** Whether the reply's `response_nonce` is `expected` (false for undefined). */
  matches(expected: string | undefined): boolean;
}

/** The node used when a stream's first request carries none (documented in README). */
export const ANONYMOUS_NODE: NodeInfo = { id: '', cluster: '', metadata: {}, clientFeatures: [], userAgent: '' };

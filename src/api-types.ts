/**
 * @module api-types
 * The public shapes of the library API: options, results and the server
 * handle. Kept apart from server.ts so boxes and tests can name them without
 * pulling in the composition root: the transport box takes `StreamLimits`
 * and `CsdsOptions` from here (type imports only), so this file imports no
 * box but source/ for the types it names.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ConfigProblem } from './source/raw-resource';
import type { EtcdSourceOptions } from './source/etcd-source';

export type { EtcdSourceOptions } from './source/etcd-source';

/**
 * Connections accepted elsewhere (by a `--processes` primary) for this
 * server to serve, and the address they were accepted on (for logs and
 * `XdsServer.port`). `start` is called once, when the server is ready to
 * serve; `take` then gets each connection.
 */
export interface ConnectionSource {
  readonly port: number;
  readonly host: string;
  start(take: (socket: Socket) => void): void;
}

/** TLS for the xDS port: PEM bytes. With `clientCa`, clients must present a certificate it signed (mTLS). */
export interface TlsOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa?: Buffer;
}

/** Admission control and per-stream limits (`XdsServerOptions.limits`); every field optional, defaults in transport/limits.ts. */
export interface StreamLimits {
  /** New streams admitted per second (token bucket refill). 0 = unlimited. */
  readonly admissionPerSecond?: number;
  /** Streams admitted at once before the rate applies. */
  readonly admissionBurst?: number;
  /** Largest number of names one request may carry (the request decoder enforces it while reading). */
  readonly maxNamesPerRequest?: number;
  /**
   * Largest number of repeated entries (metadata fields and list items at any
   * depth, extensions, client features) the node of one request may hold:
   * the node is decoded by protobufjs, which took 1.4 s for 250,000 metadata
   * entries on a busy 2-core machine.
   */
  readonly maxNodeEntries?: number;
  /** Requests per second one stream may send on average. */
  readonly requestsPerSecond?: number;
  /** Requests one stream may send in a burst. */
  readonly requestBurst?: number;
}

/** CSDS access and bounds (`XdsServerOptions.csds`, the `--csds-*` flags). */
export interface CsdsOptions {
  /** Client certificate SANs matching this see every node (needs mTLS). */
  readonly adminSanPattern?: string;
  /** With no identities configured, answer callers on any address, not only loopback. */
  readonly allowRemote?: boolean;
  /** Largest answer, in bytes; larger ones get RESOURCE_EXHAUSTED. Default 4 MiB. */
  readonly maxResponseBytes?: number;
  /** Requests per second, server-wide (burst: one second's worth). Default 10. */
  readonly requestsPerSecond?: number;
  /** Requests being built or written at once, server-wide. Default 4. */
  readonly maxConcurrent?: number;
}

/** Options for {@link createXdsServer}. Every field is optional. */
export interface XdsServerOptions {
  /** TCP port for gRPC (ADS, per-type services). 0 picks a free port. Default 18000. */
  readonly port?: number;
  /** Address to bind. Default `::`, dual-stack (IPv4 too); `0.0.0.0` on hosts without IPv6. */
  readonly host?: string;
  /**
   * Take the xDS port's connections from `connectionSource` instead of binding
   * `port` (a `--processes` serving process: its primary owns the listening
   * socket). `port` and `host` are then not used.
   */
  readonly connectionSource?: ConnectionSource;
  /** Encode worker threads. Default: max(1, cores - 1). */
  readonly workers?: number;
  /** pino logger; default silent. */
  readonly logger?: Logger;
  /** Serve configs whose only fault is dangling references, logging a warning per reference. */
  readonly allowDanglingReferences?: boolean;
  /** Largest request the server accepts, in bytes. Default 64 MiB (gRPC's default is 4 MiB). */
  readonly maxReceiveMessageBytes?: number;
  /** A YAML/JSON file or directory to serve and watch. */
  readonly configPath?: string;
  /**
   * Serve the configuration held in etcd instead of a file (exclusive with
   * `configPath`). The server binds at once and holds streams until the first
   * snapshot is applied; `internals.etcd.firstApplied` resolves then.
   */
  readonly etcd?: EtcdSourceOptions;
  /**
   * With `etcd`: how this replica publishes its rollout status under
   * `<prefix>status/replicas/<name>` (README "Rollout status"). `name`
   * defaults to host:pid; `leaseTtlSeconds` (default 10) is how long the key
   * outlives a replica that dies without stopping.
   */
  readonly replicaStatus?: { readonly name?: string; readonly leaseTtlSeconds?: number };
  /** Debounce for config file changes, in ms. Default 200. */
  readonly reloadDebounceMs?: number;
  /**
   * Largest configuration read from `configPath`, in bytes, all its files
   * together (`--max-config-bytes`). A larger one is refused before it is
   * read. Default 64 MiB.
   */
  readonly maxConfigBytes?: number;
  /** Deadline for reading one config file, in ms; a read past it is retried (`--config-read-timeout-ms`). Default 10000. */
  readonly configReadTimeoutMs?: number;
  /**
   * Heap limit of each encode worker in MiB (`--worker-heap-mb`): a config
   * that needs more to parse and encode is refused, and the server keeps
   * serving. Default: a quarter of physical memory, between 512 and 4096.
   */
  readonly workerHeapMb?: number;
  /** Serve TLS (and mTLS with `clientCa`) instead of plaintext. */
  readonly tls?: TlsOptions;
  /**
   * Identity check (needs mTLS): a regular expression applied to the client
   * certificate's SANs; group 1 (or the whole match) must equal the node id,
   * else the stream ends with PERMISSION_DENIED.
   */
  readonly nodeIdSanPattern?: string;
  /** Admission control and per-stream limits. */
  readonly limits?: StreamLimits;
  /** Close connections after this age (±10% jitter), then allow `maxConnectionAgeGraceMs` for streams to finish. */
  readonly maxConnectionAgeMs?: number;
  readonly maxConnectionAgeGraceMs?: number;
  /**
   * Bound on large response bytes (16 KiB and up) handed to gRPC but not yet
   * flushed, across all streams that are reading (default 32 MiB). Large
   * initial pushes wait their turn instead of queueing in memory.
   */
  readonly maxInflightBytes?: number;
  /**
   * Bound on large response bytes held for clients that stopped reading (a
   * write unflushed for 5 s), across all streams (default 128 MiB). Each
   * stream holds at most one; past the bound, the streams stalled longest are
   * reset (RST_STREAM), which frees their response.
   */
  readonly maxStalledBytes?: number;
  /**
   * Connections open at once; more are closed as soon as they are accepted
   * (counted in `xds_connections_refused_total`). Default: the soft
   * open-file limit minus a reserve of an eighth (64 to 1024), or 10,000
   * where the limit cannot be read.
   */
  readonly maxConnections?: number;
  /** Close a connection that has had no stream for this long, in ms (GOAWAY); 0 disables. Default 30 s. */
  readonly idleConnectionTimeoutMs?: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: streams one connection may have open at once. Default 100. */
  readonly maxConcurrentStreams?: number;
  /**
   * Node's per-connection HTTP/2 session memory cap, in megabytes (queued
   * response data, header tables, unacknowledged pings and settings): while
   * a session is over it, new streams on that connection are refused. Default 64.
   */
  readonly maxSessionMemoryMb?: number;
  /**
   * Bytes of unfinished request messages one connection may hold (a request
   * announced but not fully received). Past it, the stream holding the most
   * is refused with RESOURCE_EXHAUSTED. Default: 64 MiB or
   * `maxReceiveMessageBytes`, whichever is larger.
   */
  readonly maxConnectionRequestBufferBytes?: number;
  /** The same across all connections. Default: 256 MiB or `maxConnectionRequestBufferBytes`, whichever is larger. */
  readonly maxRequestBufferBytes?: number;
  /**
   * CSDS access and bounds: who may see which nodes (`adminSanPattern`,
   * `allowRemote`), answer size cap, request rate and concurrency.
   */
  readonly csds?: CsdsOptions;
  /** Server keepalive pings: interval and how long to wait for the ack. */
  readonly keepaliveTimeMs?: number;
  readonly keepaliveTimeoutMs?: number;
}

/** A resource as users write it: proto3 JSON with its `@type`. */
export type ResourceJson = { readonly '@type': string } & Record<string, unknown>;

/** Identifies a resource to remove. */
export interface ResourceKey {
  readonly typeUrl: string;
  readonly name: string;
  /** Node group; default: every node. */
  readonly group?: string;
}

/** Outcome of applying a batch: all or nothing. */
export type ApplyResult =
  { readonly ok: true; readonly revision: number; readonly updated: number; readonly removed: number } | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly message: string };

/** A running server. */
export interface XdsServer {
  /** The bound gRPC port. */
  readonly port: number;
  /** Replace the whole configuration with these config documents (what a file reload does). */
  loadConfigDocuments(documents: readonly { file: string; text: string }[]): Promise<ApplyResult>;
  /** Replace every resource with this list (served to every node unless `group` is given). */
  setResources(resources: readonly ResourceJson[], options?: { group?: string }): Promise<ApplyResult>;
  /** Add or replace some resources and remove others, as one batch. */
  updateResources(change: { upsert?: readonly ResourceJson[]; remove?: readonly ResourceKey[]; group?: string }): Promise<ApplyResult>;
  /** Counters for tests and the admin port. */
  stats(): ServerStats;
  /**
   * Graceful shutdown: refuse new streams (GOAWAY), end the open ones with
   * UNAVAILABLE spread over `timeoutMs` so clients move to other replicas
   * gradually, then stop.
   */
  drain(timeoutMs: number): Promise<void>;
  /** Stop accepting, end every stream, stop workers. */
  stop(): Promise<void>;
}

/** Counters exposed for tests and metrics. */
export interface ServerStats {
  readonly revision: number;
  /** Resources encoded by the worker pool since start (never on the per-stream path). */
  readonly resourcesEncoded: number;
  readonly streams: { readonly sotw: number; readonly delta: number };
  readonly responsesSent: number;
  readonly nacks: number;
  readonly resources: Readonly<Record<string, number>>;
}

/**
 * @module server
 * Composition root: the only file that wires all six boxes together.
 * config source → encode pool → store → push scheduler → streams → gRPC.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadProtoRoot } from './xds/proto-root';
import { knownTypeUrls } from './xds/known-types';
import { silentLogger } from './observe/logger';
import { ServerMetrics } from './observe/metrics';
import { ConfigReader, FileSource, EtcdSource } from './source';
import { registerEtcdMetrics } from './observe/etcd-metrics';
import { EncodePool, defaultWorkerCount } from './encode';
import { ResourceStore } from './store';
import { PushScheduler } from './push';
import { FanoutMemo } from './stream';
import type { StreamContext } from './stream';
import { addCsdsService, addDiscoveryServices, RequestCodec, ResponseCache, Admission, identityChecker, WriteBudget, DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_MAX_STALLED_BYTES } from './transport';
import { DEFAULT_MAX_RECEIVE_BYTES, formatAddress, grpcServerOptions, startListener, StreamRegistry, takeHandedConnections } from './transport';
import {
  callWatch,
  ConnectionGuard,
  DEFAULT_IDLE_CONNECTION_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTION_REQUEST_BUFFER_BYTES,
  DEFAULT_MAX_REQUEST_BUFFER_BYTES,
  defaultMaxConnections,
  RequestBufferLimits,
} from './transport';
import { readFdLimit } from './observe/fd-limit';
import type { AnyStream, WriteStats } from './transport';
import { ConfigInvalidError } from './errors';
import { validateServerOptions } from './server-options';
import { ConfigApplier } from './config-applier';
import { serverStatusPublisher } from './status';
import type { ReplicaStatusPublisher } from './status';
import { serverShutdown } from './server-shutdown';
import { ConfigReloader } from './config-reloader';
import type { ServerStats, XdsServer, XdsServerOptions } from './api-types';

export const DEFAULT_PORT = 18000;

/** Internals the admin port and CLI read; not part of the public API. */
export interface ServerInternals {
  readonly store: ResourceStore;
  readonly streams: ReadonlySet<AnyStream>;
  readonly pool: EncodePool;
  readonly cache: ResponseCache;
  /** What streams share during a fan-out (read-only use: describe()). */
  readonly memo: FanoutMemo;
  readonly metrics: ServerMetrics;
  readonly startedAt: number;
  /** Whether a configuration has been loaded at least once. */
  readonly loaded: boolean;
  /** The etcd source, when the server runs on etcd. */
  readonly etcd?: EtcdSource;
}

/** The server handle plus internals for the CLI's admin port. */
export type XdsServerWithInternals = XdsServer & { readonly internals: ServerInternals };

/** Start a server. Resolves once the port is bound and, with `configPath`, the first config is loaded. */
export async function createXdsServer(options: XdsServerOptions = {}): Promise<XdsServerWithInternals> {
  // Before anything starts: a bad option must not leave worker threads or sockets behind.
  validateServerOptions(options);
  const logger: Logger = options.logger ?? silentLogger();
  const log = logger.child({ component: 'server' });
  // etcd: the first snapshot loads in the background once bound (etcd may be down at start-up); streams are
  // held (ctx.isReady) and /readyz says not ready until it is applied, so no node ever sees an empty store.
  const etcdSource = options.etcd !== undefined ? new EtcdSource(options.etcd, logger) : undefined;
  // Rollout status (checked here, before threads start): streams are counted once a second at most (status/node-census).
  let statusPublisher: ReplicaStatusPublisher | undefined;
  try {
    const etcd = options.etcd !== undefined && etcdSource !== undefined ? { connection: options.etcd, source: etcdSource } : undefined;
    statusPublisher = serverStatusPublisher({ etcd, replica: options.replicaStatus, streams: () => streams, logger });
  } catch (err) {
    await etcdSource?.close();
    throw err;
  }
  const root = loadProtoRoot();
  const pool = new EncodePool(options.workers ?? defaultWorkerCount(), {
    workerHeapMb: options.workerHeapMb,
    // A worker that fails outside a batch (EMFILE at start-up): logged here; the next batch starts a fresh pool.
    onError: (err) => log.error({ err }, 'encode worker failed; the next batch starts a fresh worker pool'),
  });
  const store = new ResourceStore();
  const scheduler = new PushScheduler();
  const cache = new ResponseCache();
  const writeStats: WriteStats = { responses: 0, bytes: 0 };
  // Client type URLs are checked against a table built from the schema, never looked up in protobufjs (its lookup cache keeps every miss).
  const knownTypes = knownTypeUrls(root);
  const metrics: ServerMetrics = new ServerMetrics({
    streamsByType: () => registry.byVariantAndType(),
    resourcesByType: () => Object.entries(store.counts()),
    pool: () => ({ ...pool.load, threads: pool.threads }),
    writeBudget: () => ({ inFlight: budget.inFlight, waiting: budget.waiting, stalled: budget.stalled, stalledStreams: budget.stalledStreams }),
    responseBodies: () => ({ built: cache.builds, reused: cache.hits }),
    connections: () => ({ open: connections.open, requestBufferBytes: requestBuffer.held }),
  });
  if (etcdSource) registerEtcdMetrics(metrics.registry, () => etcdSource.status);
  const registry: StreamRegistry = new StreamRegistry(metrics);
  const streams = registry.open;
  const memo = new FanoutMemo();
  const ctx: StreamContext = {
    store,
    scheduler,
    memo,
    isReady: () => store.revision > 0,
    logger: logger.child({ component: 'stream' }),
    events: registry.events,
    isKnownType: (typeUrl: string): boolean => knownTypes.has(typeUrl),
  };

  // Resource bounds: connections, streams per connection, unfinished request bytes (README, "Resource bounds").
  const maxReceiveBytes = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
  const perConnectionRequestBytes = options.maxConnectionRequestBufferBytes ?? Math.max(DEFAULT_MAX_CONNECTION_REQUEST_BUFFER_BYTES, maxReceiveBytes);
  const requestBuffer = new RequestBufferLimits(perConnectionRequestBytes, options.maxRequestBufferBytes ?? Math.max(DEFAULT_MAX_REQUEST_BUFFER_BYTES, perConnectionRequestBytes));
  const idleConnectionTimeoutMs = options.idleConnectionTimeoutMs ?? DEFAULT_IDLE_CONNECTION_TIMEOUT_MS;
  const maxConnections = options.maxConnections ?? defaultMaxConnections(readFdLimit());
  const connections = new ConnectionGuard({
    maxConnections,
    idleTimeoutMs: idleConnectionTimeoutMs,
    log,
    onRefused: () => metrics.connectionRefused('max_connections'),
    onIdleClosed: () => metrics.connectionClosed('never_used'),
    onServerClosed: (reason) => metrics.connectionClosed(reason),
  });
  const interceptors = [
    callWatch({
      connections,
      requestBuffer,
      onRefused: (reason, peer, message) => {
        metrics.streamRejected(reason);
        log.warn({ peer, reason }, message);
      },
      onUnwatchable: () => log.warn('this grpc-js version hides the HTTP/2 stream of a call: unfinished request bytes are not bounded and stalled streams cannot be reset'),
    }),
  ];
  const grpcServer = new grpc.Server(grpcServerOptions(options, idleConnectionTimeoutMs, interceptors));
  const budget = new WriteBudget(options.maxInflightBytes ?? DEFAULT_MAX_INFLIGHT_BYTES, options.maxStalledBytes ?? DEFAULT_MAX_STALLED_BYTES);
  let draining = false;
  const services = addDiscoveryServices(grpcServer, {
    ctx,
    codec: new RequestCodec(root),
    cache,
    stats: writeStats,
    logger: log,
    streams,
    admission: new Admission(options.limits),
    budget,
    identity: options.nodeIdSanPattern !== undefined ? identityChecker(options.nodeIdSanPattern) : undefined,
    onRejected: (reason) => metrics.streamRejected(reason),
    draining: () => draining,
  });
  addCsdsService(grpcServer, { root, streams, store, logger, options: options.csds, nodeIdSanPattern: options.nodeIdSanPattern, onOutcome: (outcome) => metrics.csdsRequest(outcome) });

  const applier = new ConfigApplier({ pool, store, scheduler, metrics, log, allowDanglingReferences: options.allowDanglingReferences ?? false });
  const loadConfigDocuments = applier.loadConfigDocuments.bind(applier);
  const setResources = applier.setResources.bind(applier);
  const updateResources = applier.updateResources.bind(applier);

  let fileSource: FileSource | undefined;
  let reloader: ConfigReloader | undefined;
  if (options.configPath !== undefined) {
    const reader = new ConfigReader({ maxBytes: options.maxConfigBytes, readTimeoutMs: options.configReadTimeoutMs });
    reloader = new ConfigReloader({ configPath: options.configPath, reader, applier, metrics, log });
    const first = await reloader.loadFirst();
    if (!first.ok) {
      grpcServer.forceShutdown();
      await pool.close();
      throw new ConfigInvalidError(first.problems);
    }
    const watched = reloader;
    fileSource = new FileSource(options.configPath, logger, options.reloadDebounceMs);
    fileSource.watch(() => watched.changed());
  }

  // Bind (or take handed connections) only now: a node that (re)connects must never see an empty store
  // before the first configuration is loaded (it would delete what it has).
  const credentials = options.tls
    ? grpc.ServerCredentials.createSsl(options.tls.clientCa ?? null, [{ private_key: options.tls.key, cert_chain: options.tls.cert }], options.tls.clientCa !== undefined)
    : grpc.ServerCredentials.createInsecure();
  const listener = options.connectionSource
    ? takeHandedConnections({ grpcServer, credentials, connections, source: options.connectionSource, log })
    : await startListener({ grpcServer, credentials, connections, port: options.port ?? DEFAULT_PORT, host: options.host, log }).catch(async (err: unknown) => {
        fileSource?.close();
        await statusPublisher?.close();
        await etcdSource?.close();
        await reloader?.close();
        await pool.close();
        throw err;
      });
  const { port, host } = listener;
  log.info({ address: formatAddress(host, port), workers: pool.threads, maxConnections }, 'xDS server listening');
  etcdSource?.start(async (revision, config) => (await applier.loadKeyedConfig(`etcd revision ${revision}`, config)).ok);
  statusPublisher?.start();

  const stats = (): ServerStats => ({
    revision: store.revision,
    resourcesEncoded: pool.resourcesEncoded,
    streams: registry.byVariant(),
    responsesSent: writeStats.responses,
    nacks: registry.nacks,
    resources: store.counts(),
  });

  const { stop, drain } = serverShutdown({
    statusPublisher,
    fileSource,
    etcdSource,
    reloader,
    port: { grpcServer, listener, connections, services, streams },
    pool,
    startDraining: () => {
      draining = true;
    },
    log,
  });

  return {
    port,
    drain,
    loadConfigDocuments,
    setResources,
    updateResources,
    stats,
    stop,
    internals: {
      store,
      streams,
      pool,
      cache,
      memo,
      metrics,
      startedAt: Date.now(),
      get loaded() {
        return applier.loaded;
      },
      etcd: etcdSource,
    },
  };
}

/**
 * @module index
 * The public API: create a server, apply batches of resources, stop it.
 *
 * @example
 *   const server = await createXdsServer({ port: 18000 });
 *   await server.setResources([{ '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'c0', ... }]);
 *   await server.stop();
 */
export { createXdsServer, DEFAULT_PORT } from './server';
export { DEFAULT_MAX_RECEIVE_BYTES } from './transport';
export type { XdsServerWithInternals } from './server';
export type { XdsServer, XdsServerOptions, TlsOptions, ApplyResult, ResourceJson, ResourceKey, ServerStats, EtcdSourceOptions, StreamLimits, CsdsOptions } from './api-types';
export type { ConfigProblem, NodeGroupSpec, NodeMatch } from './source';
export { formatProblem } from './source';
export { XdsServerError, ConfigInvalidError, BindError } from './errors';
export * as typeUrls from './xds/type-urls';
export { createLogger } from './observe/logger';
export { applyToEtcd, EtcdWriter } from './apply';
export type { EtcdTarget, EtcdWriterOptions, WriteOptions, ApplyInput, EtcdWriteResult, DeleteSelection, KeyChange } from './apply';
export { EtcdConflictError, EtcdTxnLimitError, EtcdUnavailableError } from './errors';

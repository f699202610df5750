/**
 * @module source
 * Box ①: config sources.
 */
export { FileSource, RELOAD_DEBOUNCE_MS } from './file-source';
export { ConfigReader, readConfigDocuments, DEFAULT_MAX_CONFIG_BYTES, DEFAULT_CONFIG_READ_TIMEOUT_MS } from './read-config';
export type { ConfigFile, ConfigReadLimits } from './read-config';
export { DEFAULT_GROUP, formatProblem } from './raw-resource';
export type { RawResource, NodeGroupSpec, NodeMatch, ConfigProblem } from './raw-resource';
export { EtcdSource } from './etcd-source';
export type { EtcdSourceOptions, EtcdSourceStatus } from './etcd-source';
export type { EtcdConfig } from './etcd-config';
export { DEFAULT_ETCD_PREFIX } from './etcd-keys';

/**
 * @module source
 * Box ①: config sources.
 */
export { FileSource, readConfigDocuments, RELOAD_DEBOUNCE_MS } from './file-source';
export type { ConfigDocument } from './file-source';
export { DEFAULT_GROUP, formatProblem } from './raw-resource';
export type { RawResource, NodeGroupSpec, NodeMatch, ConfigProblem } from './raw-resource';
export { EtcdSource } from './etcd-source';
export type { EtcdSourceOptions, EtcdSourceStatus } from './etcd-source';
export type { EtcdConfig } from './etcd-config';
export { DEFAULT_ETCD_PREFIX } from './etcd-keys';

/**
 * @module source
 * Box ①: config sources.
 */
export { FileSource } from './file-source';
export { ConfigReader, readConfigDocuments } from './read-config';
export type { ConfigFile } from './read-config';
export { DEFAULT_GROUP, formatProblem } from './raw-resource';
export type { RawResource, NodeGroupSpec, NodeMatch, ConfigProblem } from './raw-resource';
export { EtcdSource } from './etcd-source';
export type { EtcdConfig } from './etcd-config';
export { DEFAULT_ETCD_PREFIX } from './etcd-keys';

/**
 * @module apply
 * Writing configuration to etcd: `fanout-xds apply|delete` and the library's
 * `applyToEtcd` / `EtcdWriter`. Sits beside config-applier at the top: it
 * uses the source (parse), encode (validate + hash) and store (whole-state
 * checks) boxes exactly as a file reload does.
 */
export { EtcdWriter, applyToEtcd } from './etcd-writer';
export type { EtcdTarget, EtcdWriterOptions, WriteOptions, ApplyInput, EtcdWriteResult, DeleteSelection } from './etcd-writer';
export type { EtcdEntry } from './etcd-values';
export { orderedGroups } from './etcd-values';
export type { KeyChange } from './plan';
export { describePlan } from './plan';
export { ETCD_DEFAULT_MAX_TXN_OPS, ETCD_DEFAULT_MAX_REQUEST_BYTES } from './txn-limits';

/**
 * @module stream
 * Box ⑤: per-stream protocol state (SotW and delta).
 */
export { SotwStream } from './sotw-stream';
export { DeltaStream } from './delta-stream';
export { StreamRequestError } from './stream-context';
export { FanoutMemo } from './fanout-memo';
export type { StreamContext, StreamEvents, Variant } from './stream-context';
export type { SotwRequest, DeltaRequest, NodeInfo, ErrorDetail, ReplyNonce } from './requests';
export type { SotwPlan, DeltaPlan, ResponseSink } from './sink';
export { resourceStatuses } from './resource-status';
export type { ResourceStatus } from './resource-status';
export type { SyncState, TypeNack } from './sync-state';

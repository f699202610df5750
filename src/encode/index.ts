/**
 * @module encode
 * Box ②: validate + encode + hash, off the event loop.
 */
export { EncodePool, defaultWorkerCount, defaultWorkerHeapMb } from './encode-pool';
export type { EncodeOutcome } from './encode-pool';
export { KeyedEncoder } from './keyed-encoder';
export type { EncodedResource } from './encoded-resource';
export type { Reference, DocumentInput } from './messages';
export { contentVersion, combinedVersion } from './content-hash';

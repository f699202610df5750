/**
 * @module encode
 * Box ②: validate + encode + hash, off the event loop.
 */
export { EncodePool, defaultWorkerCount, defaultWorkerHeapMb } from './encode-pool';
export type { EncodeOutcome } from './encode-pool';
export { KeyedEncoder } from './keyed-encoder';
export { canonicalJson } from './canonical-json';
export type { EncodedResource } from './encoded-resource';
export type { Reference, DocumentInput } from './messages';
export { combinedVersion } from './content-hash';

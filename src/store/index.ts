/**
 * @module store
 * Box ③: the resource store.
 */
export { ResourceStore } from './resource-store';
export type { TypeView, CommitResult, RemovalKey } from './resource-store';
export type { ChangeSet, TypeChange } from './change-set';
export { countChanges, summarizeChanges } from './change-set';

/**
 * @module cluster
 * `--processes N`: a primary that owns the gRPC port, forks N serving
 * processes (node:cluster's fork only: the primary accepts, see
 * connection-handoff.ts) and hands each accepted connection to one of them,
 * and the serving processes' side of it.
 */
export { runPrimary } from './primary';
export { isServingProcess, joinPrimary } from './serving-process';
export { handedConnections } from './handed-connections';
export { parseProcessCount, servingProcessArgs } from './process-count';

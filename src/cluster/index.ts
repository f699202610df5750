/**
 * @module cluster
 * `--processes N`: a primary that forks N serving processes sharing the
 * gRPC port (node:cluster), and the serving processes' side of it.
 */
export { runPrimary } from './primary';
export { isServingProcess, joinPrimary } from './serving-process';
export { parseProcessCount, servingProcessArgs } from './process-count';

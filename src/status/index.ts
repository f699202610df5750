/**
 * @module status
 * Rollout status across the fleet: each replica publishes its nodes' sync
 * state under an etcd lease (status-publisher), and the CLI reads it
 * (`fanout-xds status`, `apply --wait`). Sits at the top beside apply/: it
 * reads the stream box through a small read-only view and writes with the
 * source box's etcd client; no box imports it.
 */
export { ReplicaStatusPublisher } from './status-publisher';
export { serverStatusPublisher } from './server-status';
export type { ReplicaStatus } from './replica-status';
export { readFleet, configRevision, FleetWatch } from './fleet';
export type { Fleet } from './fleet';
export { rolloutVerdict, describeNack, describeLagging } from './rollout';
export type { RolloutVerdict } from './rollout';

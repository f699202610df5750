/**
 * @module transport
 * Box ⑥: gRPC services, request decoding, response assembly and writes.
 */
export { addDiscoveryServices, DISCOVERY_SERVICES } from './ads-service';
export type { AnyStream } from './ads-service';
export { RequestCodec } from './codec';
export { ResponseCache } from './response-cache';
export type { WriteStats } from './stream-writer';
export { addCsdsService } from './csds-service';
export { Admission } from './limits';
export { identityChecker } from './identity';
export { WriteBudget, DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_MAX_STALLED_BYTES } from './write-budget';
export { formatAddress } from './listen-address';
export { ConnectionGuard, DEFAULT_IDLE_CONNECTION_TIMEOUT_MS, defaultMaxConnections } from './connection-guard';
export { RequestBufferLimits, DEFAULT_MAX_CONNECTION_REQUEST_BUFFER_BYTES, DEFAULT_MAX_REQUEST_BUFFER_BYTES } from './request-buffer';
export { callWatch } from './call-watch';
export { StreamRegistry } from './stream-registry';
export { bindXdsPort, startListener } from './xds-listener';
export { takeHandedConnections } from './handed-listener';
export { closeGrpcPort, drainGrpcPort } from './grpc-shutdown';
export type { GrpcPort } from './grpc-shutdown';
export { grpcServerOptions, DEFAULT_MAX_RECEIVE_BYTES } from './grpc-server-options';

/**
 * @module transport/grpc-server-options
 * The grpc-js server options the xDS port runs with: message size limits,
 * keepalive, HTTP/2 stream and session-memory bounds, connection idle and
 * age limits, and the interceptors. Defaults live here so the server's
 * options (api-types.ts) say only what an operator changed.
 */
import type * as grpc from '@grpc/grpc-js';
import type { XdsServerOptions } from '../api-types';

/** gRPC's default receive limit is 4 MiB; 100k-name requests are larger (rule F35). */
export const DEFAULT_MAX_RECEIVE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_KEEPALIVE_TIME_MS = 30_000;
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000;
/** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: Envoy and gRPC clients use a handful per connection (RFC 9113 suggests no less than 100). */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;
/** Node's HTTP/2 session memory cap in megabytes (grpc-js disables it by default); holds queued responses, which stay one large one per stream. */
export const DEFAULT_MAX_SESSION_MEMORY_MB = 64;

/** The server options that set grpc-js options. */
export type GrpcServerSettings = Pick<
  XdsServerOptions,
  'maxReceiveMessageBytes' | 'keepaliveTimeMs' | 'keepaliveTimeoutMs' | 'maxConcurrentStreams' | 'maxSessionMemoryMb' | 'maxConnectionAgeMs' | 'maxConnectionAgeGraceMs'
>;

/**
 * The options for `new grpc.Server(...)`. `idleConnectionTimeoutMs` is the
 * resolved value (the connection guard uses the same one); 0 turns grpc-js's
 * idle close off.
 */
export function grpcServerOptions(settings: GrpcServerSettings, idleConnectionTimeoutMs: number, interceptors: grpc.ServerInterceptor[]): grpc.ServerOptions {
  const grpcOptions: grpc.ServerOptions = {
    'grpc.max_receive_message_length': settings.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES,
    'grpc.max_send_message_length': -1,
    'grpc.keepalive_time_ms': settings.keepaliveTimeMs ?? DEFAULT_KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': settings.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
    // Envoy and gRPC clients ping on idle ADS streams; do not punish them for it.
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    // channelz keeps per-session and per-call tracking objects; at thousands of streams that is memory and CPU for a debug API we do not serve.
    'grpc.enable_channelz': 0,
  };
  grpcOptions['grpc.max_concurrent_streams'] = settings.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS;
  grpcOptions['grpc-node.max_session_memory'] = settings.maxSessionMemoryMb ?? DEFAULT_MAX_SESSION_MEMORY_MB;
  if (idleConnectionTimeoutMs > 0) grpcOptions['grpc.max_connection_idle_ms'] = idleConnectionTimeoutMs;
  grpcOptions.interceptors = interceptors;
  if (settings.maxConnectionAgeMs !== undefined) grpcOptions['grpc.max_connection_age_ms'] = settings.maxConnectionAgeMs;
  if (settings.maxConnectionAgeGraceMs !== undefined) grpcOptions['grpc.max_connection_age_grace_ms'] = settings.maxConnectionAgeGraceMs;
  return grpcOptions;
}

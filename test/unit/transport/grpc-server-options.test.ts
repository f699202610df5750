/**
 * @module test/unit/transport/grpc-server-options.test
 * The grpc-js options the xDS port runs with: the defaults an operator gets
 * when setting nothing, what each server option overrides, and the options
 * left out when unset (grpc-js then keeps its own behaviour).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type * as grpc from '@grpc/grpc-js';
import { grpcServerOptions } from '../../../src/transport/grpc-server-options';

const interceptors: grpc.ServerInterceptor[] = [];

test('with no server options the port gets 64 MiB requests, 30 s / 10 s keepalive, 100 streams per connection and a 64 MB session cap', () => {
  const { interceptors: given, ...options } = grpcServerOptions({}, 120_000, interceptors);
  assert.equal(given, interceptors);
  assert.deepEqual(options, {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': -1,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.enable_channelz': 0,
    'grpc.max_concurrent_streams': 100,
    'grpc-node.max_session_memory': 64,
    'grpc.max_connection_idle_ms': 120_000,
  });
});

test('each server option overrides its grpc-js option; an idle timeout of 0 leaves grpc-js idle close off', () => {
  const options = grpcServerOptions(
    { maxReceiveMessageBytes: 1024, keepaliveTimeMs: 1, keepaliveTimeoutMs: 2, maxConcurrentStreams: 3, maxSessionMemoryMb: 4, maxConnectionAgeMs: 5, maxConnectionAgeGraceMs: 6 },
    0,
    interceptors,
  );
  assert.equal(options['grpc.max_receive_message_length'], 1024);
  assert.equal(options['grpc.keepalive_time_ms'], 1);
  assert.equal(options['grpc.keepalive_timeout_ms'], 2);
  assert.equal(options['grpc.max_concurrent_streams'], 3);
  assert.equal(options['grpc-node.max_session_memory'], 4);
  assert.equal(options['grpc.max_connection_age_ms'], 5);
  assert.equal(options['grpc.max_connection_age_grace_ms'], 6);
  assert.equal('grpc.max_connection_idle_ms' in options, false);
});

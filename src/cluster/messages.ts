/**
 * @module cluster/messages
 * What the primary and its serving processes say to each other over the
 * node:cluster IPC channel. Every message carries a `kind` with our prefix,
 * so messages of other libraries on the same channel (prom-client's own
 * cluster requests, for one) pass by untouched.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** A serving process is up: its gRPC port and its loopback-only admin port (absent with --no-admin). */
export interface ServingMessage {
  readonly kind: 'fanout-xds:serving';
  readonly grpcPort: number;
  readonly adminPort?: number;
}

/** The primary hands a serving process an accepted xDS connection: the socket travels as the message's handle. */
export interface HandedConnectionMessage {
  readonly kind: 'fanout-xds:connection';
}

/** The primary asks a serving process for its metrics. */
export interface MetricsRequest {
  readonly kind: 'fanout-xds:metrics-request';
  readonly requestId: number;
}

/** A serving process's metrics, as `registry.getMetricsAsJSON()` gives them, or why it could not. */
export interface MetricsAnswer {
  readonly kind: 'fanout-xds:metrics-answer';
  readonly requestId: number;
  readonly metrics?: MetricObjectWithValues<MetricValue<string>>[];
  readonly error?: string;
}

function hasKind(message: unknown, kind: string): boolean {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === kind;
}

/** Whether `message` is a ServingMessage. */
export function isServingMessage(message: unknown): message is ServingMessage {
  return hasKind(message, 'fanout-xds:serving') && typeof (message as ServingMessage).grpcPort === 'number';
}

/** Whether `message` is a MetricsRequest. */
export function isMetricsRequest(message: unknown): message is MetricsRequest {
  return hasKind(message, 'fanout-xds:metrics-request') && typeof (message as MetricsRequest).requestId === 'number';
}

/** Whether `message` is a MetricsAnswer. */
export function isMetricsAnswer(message: unknown): message is MetricsAnswer {
  return hasKind(message, 'fanout-xds:metrics-answer') && typeof (message as MetricsAnswer).requestId === 'number';
}

/** Whether `message` is a HandedConnectionMessage. */
export function isHandedConnectionMessage(message: unknown): message is HandedConnectionMessage {
  return hasKind(message, 'fanout-xds:connection');
}

/**
 * @module transport/request-errors
 * What a request can be refused for while it is decoded, and the gRPC
 * status each refusal ends its own stream with: malformed bytes are
 * INVALID_ARGUMENT, a request over a size limit is RESOURCE_EXHAUSTED with
 * the flag that raises it. Every service decodes through here
 * ({@link decodeRequest} for protobufjs-decoded messages, ./codec for the
 * hand-decoded discovery requests), so every service refuses alike.
 */
import * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { WireFormatError } from '../xds/wire-reader';
import { WireLimitError, decodeStrict } from '../xds/wire-check';

/** Thrown for bytes that are not a valid request; ends only that stream with INVALID_ARGUMENT. */
export class MalformedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRequestError';
  }
}

/** Thrown for a request over a per-request limit; ends only that stream with RESOURCE_EXHAUSTED. */
export class RequestLimitError extends Error {
  /** Metric label of the limit (`xds_streams_rejected_total{reason}`). */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'RequestLimitError';
    this.reason = reason;
  }
}

/** How to tell a client which limit refused it and how an operator raises it. */
export function namesLimitMessage(what: string, limit: number): string {
  return `request holds more than ${limit} ${what}; the limit is ${limit} per request (raise it with --max-names-per-request or limits.maxNamesPerRequest)`;
}

/** Turn a wire-check error into the request error it means (other errors pass through). */
export function asRequestError(err: unknown, messageName: string, fieldPrefix = ''): unknown {
  if (err instanceof WireLimitError) return new RequestLimitError('names', namesLimitMessage(`repeated entries (reached at ${fieldPrefix}${err.path})`, err.limit));
  if (err instanceof WireFormatError) return new MalformedRequestError(`request is not a valid ${messageName}: ${fieldPrefix}${err.message}`);
  return err;
}

/**
 * Strictly decode a request of any protobufjs type (see xds/wire-check):
 * the entry point for services whose requests protobufjs decodes (CSDS).
 * `maxEntries` bounds repeated entries across the whole request.
 */
export function decodeRequest(type: protobuf.Type, bytes: Buffer, maxEntries?: number): Record<string, unknown> {
  try {
    return decodeStrict(type, bytes, { maxEntries });
  } catch (err) {
    throw asRequestError(err, type.name);
  }
}

/** The status that ends a stream for a request error, or undefined for an error that is not one. */
export function requestErrorStatus(err: unknown): { code: grpc.status; details: string; reason: string } | undefined {
  if (err instanceof MalformedRequestError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message, reason: 'malformed' };
  if (err instanceof RequestLimitError) return { code: grpc.status.RESOURCE_EXHAUSTED, details: err.message, reason: err.reason };
  return undefined;
}

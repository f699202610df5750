/**
 * @module transport/call-watch
 * A pass-through grpc-js server interceptor: every call of every service
 * (ADS, per-type, CSDS) passes here once, before any of its messages is
 * read, and is returned unwrapped, so it costs nothing per message. It tells
 * the connection guard that the call's connection is in use, and puts the
 * call's HTTP/2 stream under the request-buffer limits.
 */
import * as grpc from '@grpc/grpc-js';
import type { ConnectionGuard } from './connection-guard';
import { http2StreamOf, resetStream } from './http2-stream';
import type { RequestBufferLimit, RequestBufferLimits } from './request-buffer';

/** The flag that sets each request-buffer limit, for messages that say how to raise it. */
const LIMIT_FLAGS: Readonly<Record<RequestBufferLimit, string>> = {
  connection: '--max-connection-request-buffer-bytes',
  server: '--max-request-buffer-bytes',
};

/** Refusal reasons as counted in xds_streams_rejected_total. */
export const REQUEST_BUFFER_REASONS: Readonly<Record<RequestBufferLimit, string>> = {
  connection: 'connection_request_buffer',
  server: 'request_buffer',
};

/** What the interceptor reports to. */
export interface CallWatchDeps {
  readonly connections?: ConnectionGuard;
  readonly requestBuffer: RequestBufferLimits;
  /** A stream was refused: count it and log `message` (it says which limit and how to raise it). */
  onRefused(reason: string, peer: string, message: string): void;
  /** grpc-js did not expose a call's HTTP/2 stream: the request-buffer limits cannot apply (called once). */
  onUnwatchable?(): void;
}

/** Build the interceptor. */
export function callWatch(deps: CallWatchDeps): grpc.ServerInterceptor {
  let warned = false;
  return (_method, call) => {
    const info = call.getConnectionInfo();
    deps.connections?.noteStream(info);
    const h2 = http2StreamOf(call);
    if (h2) {
      deps.requestBuffer.watch(h2, (limit, heldBytes, limitBytes) => {
        const message =
          `request refused: this stream held ${heldBytes} bytes of an unfinished request message, the most while unfinished requests ` +
          `${limit === 'connection' ? 'on this connection' : 'across the server'} passed ${LIMIT_FLAGS[limit]} (${limitBytes} bytes); ` +
          'send smaller requests, fewer at once, or raise the limit';
        deps.onRefused(REQUEST_BUFFER_REASONS[limit], `${info.remoteAddress ?? 'unknown'}:${info.remotePort ?? ''}`, message);
        call.sendStatus({ code: grpc.status.RESOURCE_EXHAUSTED, details: message });
        // The status goes out first (trailers-only, or after queued data); then the reset drops what grpc-js buffered.
        setImmediate(() => resetStream(h2));
      });
    } else if (!warned) {
      warned = true;
      deps.onUnwatchable?.();
    }
    // Unwrapped: the call stays grpc-js's own, with no per-message hop.
    return call as unknown as grpc.ServerInterceptingCall;
  };
}

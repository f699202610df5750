/**
 * @module transport/http2-stream
 * The HTTP/2 stream under a grpc-js server call. grpc-js gives a handler no
 * way to reset its stream or to see request bytes before a message is
 * complete, and both are needed to keep memory bounded: a stream whose
 * client stopped reading can only give its queued response back through an
 * RST_STREAM (a status would queue behind the unread data), and a request
 * that is still arriving sits in grpc-js's decoder where no handler sees it.
 *
 * grpc-js (1.14) keeps the stream in a private field of the call; we read it
 * with a shape check, in this one place. If a grpc-js upgrade moves it, the
 * lookup returns undefined, the server logs once that the limits relying on
 * it are not enforced, and test/fault/request-buffer.test.ts fails.
 */
import * as http2 from 'node:http2';
import { baseCallField } from './grpc-private';

/** What we use of Node's server-side HTTP/2 stream. */
export type Http2Stream = http2.ServerHttp2Stream;

function isHttp2Stream(value: unknown): value is Http2Stream {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Http2Stream>;
  return typeof s.close === 'function' && typeof s.on === 'function' && typeof s.id === 'number' && typeof s.session === 'object';
}

/** The HTTP/2 stream carrying a call (a handler's call or the base call, grpc-private.ts), or undefined if this grpc-js version hides it. */
export function http2StreamOf(call: object): Http2Stream | undefined {
  return baseCallField(call, 'stream', isHttp2Stream);
}

/**
 * Reset a stream with RST_STREAM(ENHANCE_YOUR_CALM): Node drops whatever is
 * queued for it at once, and the client's gRPC library reports
 * RESOURCE_EXHAUSTED. Returns false if the stream is unknown or already closed.
 */
export function resetStream(stream: Http2Stream | undefined): boolean {
  if (!stream || stream.closed || stream.destroyed) return false;
  stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  return true;
}

/**
 * @module transport/grpc-private
 * The one way we reach a private field of a grpc-js (1.14) server call. A
 * handler gets a ServerDuplexStreamImpl, whose private `call` is the
 * BaseServerInterceptingCall (our interceptor returns it unwrapped, see
 * call-watch.ts); an interceptor gets that base call itself. The base call
 * holds what we need: its HTTP/2 `stream` (http2-stream.ts) and its message
 * `decoder` (read-slices.ts). Every value is shape-checked, so a grpc-js
 * upgrade that moves a field yields undefined, never a wrong object.
 */

/**
 * Field `key` of `call` itself or of the base call under it, whichever
 * passes `is` first; undefined if neither does.
 */
export function baseCallField<T>(call: object, key: 'stream' | 'decoder', is: (value: unknown) => value is T): T | undefined {
  const direct = (call as Record<string, unknown>)[key];
  if (is(direct)) return direct;
  const base = (call as { call?: unknown }).call;
  const nested = typeof base === 'object' && base !== null ? (base as Record<string, unknown>)[key] : undefined;
  return is(nested) ? nested : undefined;
}

/**
 * @module transport/grpc-private
 * The one way we reach a private member of a grpc-js (1.14) server call. A
 * handler gets a ServerDuplexStreamImpl, whose private `call` is the
 * BaseServerInterceptingCall (our interceptor returns it unwrapped, see
 * call-watch.ts); an interceptor gets that base call itself. The base call
 * holds what we need: its HTTP/2 `stream` (http2-stream.ts), its message
 * `decoder` (read-slices.ts) and its `serializeMessage` (framed-message.ts).
 * Every value is shape-checked, so a grpc-js upgrade that moves a member
 * yields undefined, never a wrong object.
 */

/** The private members we reach. */
export type BaseCallKey = 'stream' | 'decoder' | 'serializeMessage';

/**
 * `call` itself or the base call under it, whichever first holds a `key`
 * that passes `is`; undefined if neither does.
 */
export function baseCallHolding(call: object, key: BaseCallKey, is: (value: unknown) => boolean): Record<string, unknown> | undefined {
  const direct = call as Record<string, unknown>;
  if (is(direct[key])) return direct;
  const base = direct.call;
  if (typeof base !== 'object' || base === null) return undefined;
  return is((base as Record<string, unknown>)[key]) ? (base as Record<string, unknown>) : undefined;
}

/**
 * Field `key` of `call` itself or of the base call under it, whichever
 * passes `is` first; undefined if neither does.
 */
export function baseCallField<T>(call: object, key: BaseCallKey, is: (value: unknown) => value is T): T | undefined {
  return baseCallHolding(call, key, is)?.[key] as T | undefined;
}

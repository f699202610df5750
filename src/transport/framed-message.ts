/**
 * @module transport/framed-message
 * Responses built with their gRPC length prefix in front, so grpc-js writes
 * our bytes instead of a copy of them.
 *
 * grpc-js (1.14) frames every response it sends by allocating the message's
 * length plus 5 bytes and copying the serialized message in
 * (BaseServerInterceptingCall.serializeMessage). Our responses are already
 * bytes, and a fan-out writes one Buffer to every stream that needs it
 * (response-cache.ts), so that copy was the one allocation per stream left
 * in a push. For an initial sync it is the node's whole configuration
 * (about 390 KB per delta node on the bench mesh): thousands of large
 * copies, dead once written but freed only by a GC, which the allocator
 * then keeps as free memory between live data (docs/scaling.md, "Framed
 * responses").
 *
 * So the sinks write FramedMessages, and each ADS call's serializeMessage is
 * replaced (on that call only) by one that hands a FramedMessage's bytes to
 * grpc-js as they are. The rest of grpc-js's write is untouched: headers
 * first, the send-size limit, the HTTP/2 write, its error status and the
 * write callback. The method is private, so it is reached with a shape check
 * in grpc-private.ts; if a grpc-js upgrade moves it, the handler's
 * serializer (serializeFramed) returns the message without its prefix and
 * grpc-js copies it as before: the same bytes on the wire, only slower, and
 * the server logs once that it could not.
 */
import { baseCallHolding } from './grpc-private';

/** gRPC's message prefix: a compressed flag byte and a 4-byte big-endian length. */
export const GRPC_PREFIX_BYTES = 5;

/** A whole gRPC message: prefix (uncompressed) and payload. */
export class FramedMessage {
  /** Prefix and payload, as written to the HTTP/2 stream. */
  readonly bytes: Buffer;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  /** Payload bytes, what a response is counted by. */
  get payloadLength(): number {
    return this.bytes.length - GRPC_PREFIX_BYTES;
  }

  /**
   * A message of `payloadLength` bytes, its prefix written and its payload
   * left for the caller to fill from offset {@link GRPC_PREFIX_BYTES}.
   */
  static allocate(payloadLength: number): FramedMessage {
    const bytes = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + payloadLength);
    bytes[0] = 0;
    bytes.writeUInt32BE(payloadLength, 1);
    return new FramedMessage(bytes);
  }

  /** `payload` framed, in a copy. */
  static copyOf(payload: Buffer): FramedMessage {
    const message = FramedMessage.allocate(payload.length);
    payload.copy(message.bytes, GRPC_PREFIX_BYTES);
    return message;
  }
}

/**
 * The response serializer of our methods. grpc-js calls it only on a call
 * where {@link passFramedMessages} could not take over serializeMessage;
 * grpc-js then adds the prefix again to a copy.
 */
export function serializeFramed(message: FramedMessage): Buffer {
  return message.bytes.subarray(GRPC_PREFIX_BYTES);
}

/** What grpc-js's serializeMessage is: a value in, the framed Buffer out. */
type SerializeMessage = (this: object, value: unknown) => Buffer;

function isSerializeMessage(value: unknown): value is SerializeMessage {
  return typeof value === 'function' && value.length === 1;
}

/**
 * Put on a call in place of its class's serializeMessage: one function for
 * every call (no closure per stream), which finds the original on the
 * prototype for anything that is not a FramedMessage.
 */
function serializeMessagePassingFramed(this: object, value: unknown): Buffer {
  if (value instanceof FramedMessage) return value.bytes;
  return (Object.getPrototypeOf(this) as { serializeMessage: SerializeMessage }).serializeMessage.call(this, value);
}

/**
 * Make grpc-js write FramedMessages on `call` (a handler's call or its base
 * call) without copying them. Returns false, changing nothing, when this
 * grpc-js version does not serialize through a prototype method
 * `serializeMessage(value)` on the base call.
 */
export function passFramedMessages(call: object): boolean {
  const base = baseCallHolding(call, 'serializeMessage', isSerializeMessage);
  if (!base) return false;
  if (base.serializeMessage === serializeMessagePassingFramed) return true;
  const proto: unknown = Object.getPrototypeOf(base);
  // Only the class's own method is replaced: an own property would be someone else's wrapper, which we would skip.
  if (typeof proto !== 'object' || proto === null || (proto as Record<string, unknown>).serializeMessage !== base.serializeMessage) return false;
  base.serializeMessage = serializeMessagePassingFramed;
  return true;
}

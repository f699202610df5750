/**
 * @module transport/read-slices
 * Lets go of the socket read a request arrived in, once grpc-js has made the
 * request whole.
 *
 * Node hands HTTP/2 DATA to grpc-js as slices of the buffer of the socket
 * read that carried them. grpc-js's message decoder (1.14) copies a complete
 * message out, but keeps two of those slices until the next message on the
 * stream begins: the 1-byte compressed flag and the list of the message's
 * chunks. Each slice keeps its whole read buffer alive, so every stream pins
 * the read of its last request until it sends another. For a SotW node that
 * is its last ACK, about 20 KiB with 1000 names: held for a whole update
 * round, those buffers outlive the young generation, and every round's ACKs
 * became old-generation garbage that only a full mark-compact frees. V8
 * started one per round on external-memory pressure, marking the whole heap
 * (docs/scaling.md, "Full collections per round").
 *
 * Between messages the decoder reads neither field before it overwrites it,
 * so dropping them then changes nothing it does. The fields are private, so
 * they are reached with a shape check, in this one place; if a grpc-js
 * upgrade moves them the server logs once that it cannot release read
 * buffers, and test/unit/transport/read-slices.test.ts fails.
 */

import { baseCallField } from './grpc-private';

/** What we touch of grpc-js's StreamDecoder (stream-decoder.ts). */
export interface GrpcMessageDecoder {
  /** 0 (NO_DATA) between messages; otherwise a message's header or body is being read. */
  readState: number;
  readCompressFlag: Buffer;
  readPartialMessage: Buffer[];
}

/** grpc-js's ReadState.NO_DATA: the last message is complete and the next has not begun. */
const BETWEEN_MESSAGES = 0;

/** Stands in for the compressed-flag slice between messages (grpc-js only ever replaces it, never writes into it). */
const NO_FLAG = Buffer.alloc(1);

function isDecoder(value: unknown): value is GrpcMessageDecoder {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Partial<GrpcMessageDecoder>;
  return typeof d.readState === 'number' && Buffer.isBuffer(d.readCompressFlag) && Array.isArray(d.readPartialMessage);
}

/** The message decoder of a server call (a handler's call or the base call, grpc-private.ts), or undefined if this grpc-js version hides it. */
export function messageDecoderOf(call: object): GrpcMessageDecoder | undefined {
  return baseCallField(call, 'decoder', isDecoder);
}

/**
 * Drop the decoder's slices of the last complete message, if it is between
 * messages; a message still arriving keeps its chunks. Returns whether
 * anything was dropped. Called once per request, so it does no more than
 * read one field when there is nothing to drop.
 */
export function releaseReadSlices(decoder: GrpcMessageDecoder): boolean {
  if (decoder.readState !== BETWEEN_MESSAGES) return false;
  if (decoder.readCompressFlag === NO_FLAG && decoder.readPartialMessage.length === 0) return false;
  decoder.readCompressFlag = NO_FLAG;
  decoder.readPartialMessage.length = 0;
  return true;
}

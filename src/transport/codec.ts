/**
 * @module transport/codec
 * Request decoding into the plain shapes stream/ works with. Both discovery
 * requests are decoded by hand through the strict wire reader
 * (xds/wire-reader): every length, varint and wire type is checked, and the
 * names limit is enforced while names are counted, so a request with
 * millions of names is refused after reading the first `maxNames`, before
 * anything is built from them. Nested messages (node, error_detail,
 * resource locators) are checked against their schema (xds/wire-check)
 * before protobufjs decodes them. Responses need no encoder: they are
 * assembled from stored bytes (response-builder.ts), already framed for
 * gRPC, and grpc-js writes them as they are (framed-message.ts).
 *
 * This is the facade the services call: the SotW decoder (sotw-decoder.ts),
 * the delta decoder (delta-decoder.ts), the plain delta ACK reader
 * (plain-ack.ts) and the nested messages they share (nested-messages.ts)
 * live in their own modules, bound here to one proto root and one names
 * table.
 */
import type * as protobuf from 'protobufjs';
import type { DeltaRequest, SotwRequest } from '../stream';
import { knownTypeUrls } from '../xds/known-types';
import { NamesInterner } from './names-interner';
import { PlainAckReader } from './plain-ack';
import { TypeUrlBytes } from './type-url-bytes';
import { NestedMessages } from './nested-messages';
import { SotwRequestDecoder } from './sotw-decoder';
import { DeltaRequestDecoder } from './delta-decoder';
import type { DecodeLimits } from './request-fields';

export { MalformedRequestError, RequestLimitError } from './request-errors';

/** Decoders bound to one proto root. */
export class RequestCodec {
  readonly #plainAck: PlainAckReader;
  readonly #sotw: SotwRequestDecoder;
  readonly #delta: DeltaRequestDecoder;

  constructor(root: protobuf.Root) {
    const types = knownTypeUrls(root);
    const nested = new NestedMessages(root);
    // One names table for both variants: one per codec, so it lives and goes with its server (names-interner.ts).
    const names = new NamesInterner();
    const typeUrlBytes = new TypeUrlBytes(types);
    this.#plainAck = new PlainAckReader(typeUrlBytes);
    this.#sotw = new SotwRequestDecoder(nested, names, typeUrlBytes);
    this.#delta = new DeltaRequestDecoder(nested, names, types);
  }

  /**
   * The reader holding `bytes` when they are a plain delta reply
   * (`type_url` of a known type, then `response_nonce`, nothing else: an
   * ACK or a stale reply, never a NACK; plain-ack.ts), else undefined and
   * the request needs decodeDelta. The reader is shared: use it before
   * reading the next request.
   */
  plainDeltaAck(bytes: Buffer): PlainAckReader | undefined {
    return this.#plainAck.read(bytes) ? this.#plainAck : undefined;
  }

  /**
   * Decode a DiscoveryRequest (sotw-decoder.ts). More than `maxNames` names
   * (or resource locators) is refused with RequestLimitError as soon as they
   * are counted; bad bytes throw MalformedRequestError.
   */
  decodeSotw(bytes: Buffer, limits: DecodeLimits = {}): SotwRequest {
    return this.#sotw.decode(bytes, limits);
  }

  /**
   * Decode a DeltaDiscoveryRequest (delta-decoder.ts). A request over
   * `maxNames` names is refused with RequestLimitError before any name is
   * built; bad bytes throw MalformedRequestError.
   */
  decodeDelta(bytes: Buffer, limits: DecodeLimits = {}): DeltaRequest {
    return this.#delta.decode(bytes, limits);
  }
}

/**
 * @module transport/plain-ack
 * Recognises, from its raw bytes, the reply a delta client sends after every
 * response: a DeltaDiscoveryRequest holding `type_url` (field 2) and then
 * `response_nonce` (field 6), each with a one-byte length, and nothing else.
 * Every delta node sends one per push, so it is settled without a decode
 * into a request object (issue 13: "a few field reads"). Anything else (a
 * node, an error_detail, subscribe or unsubscribe names, an unknown field,
 * another field order, an unknown type URL) is not recognised and takes
 * the full decode (delta-decoder.ts), so only this one shape is trusted here.
 * Field numbers: docs/protocol.md §Field numbers.
 */
import type { ReplyNonce } from '../stream';
import type { TypeUrlBytes } from './type-url-bytes';

/** DeltaDiscoveryRequest.type_url (field 2) and response_nonce (field 6), length-delimited. */
const TYPE_URL_TAG = 0x12;
const NONCE_TAG = 0x32;
/** Longest length a one-byte varint holds; longer fields take the full path. */
const ONE_BYTE_LENGTH_MAX = 0x7f;
/** The nonce is compared as ASCII char codes; anything above takes the full path. */
const ASCII_MAX = 0x7f;

/**
 * Reads one plain ACK at a time (the server is one event loop, and a
 * recognised reply is settled before the next is read): the fields hold the
 * last one recognised, so the hot path allocates nothing.
 */
export class PlainAckReader implements ReplyNonce {
  readonly #typeUrls: TypeUrlBytes;
  #bytes: Buffer = Buffer.alloc(0);
  #nonceStart = 0;
  #nonceEnd = 0;
  /** The canonical type URL of the last reply recognised. */
  typeUrl = '';

  constructor(typeUrls: TypeUrlBytes) {
    this.#typeUrls = typeUrls;
  }

  /**
   * Whether `bytes` is exactly `type_url` (a known type) then a non-empty
   * `response_nonce`. If so, `typeUrl` and `matches()` describe it until the
   * next call.
   */
  read(bytes: Buffer): boolean {
    if (bytes[0] !== TYPE_URL_TAG) return false;
    const urlLength = bytes[1] ?? 0xff;
    const nonceTag = 2 + urlLength;
    if (urlLength === 0 || urlLength > ONE_BYTE_LENGTH_MAX || bytes[nonceTag] !== NONCE_TAG) return false;
    const nonceLength = bytes[nonceTag + 1] ?? 0xff;
    if (nonceLength === 0 || nonceLength > ONE_BYTE_LENGTH_MAX || nonceTag + 2 + nonceLength !== bytes.length) return false;
    const url = this.#typeUrls.knownAt(bytes, 2, nonceTag);
    if (url === undefined) return false;
    this.typeUrl = url;
    this.#bytes = bytes;
    this.#nonceStart = nonceTag + 2;
    this.#nonceEnd = bytes.length;
    return true;
  }

  /** Whether the last recognised reply's nonce is `expected` (an ASCII nonce; any other takes false). */
  matches(expected: string | undefined): boolean {
    if (expected === undefined) return false;
    const start = this.#nonceStart;
    if (expected.length !== this.#nonceEnd - start) return false;
    const bytes = this.#bytes;
    for (let i = 0; i < expected.length; i++) {
      const c = expected.charCodeAt(i);
      if (c > ASCII_MAX || bytes[start + i] !== c) return false;
    }
    return true;
  }
}

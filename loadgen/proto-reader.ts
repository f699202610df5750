/**
 * @module loadgen/proto-reader
 * A minimal protobuf wire-format reader: walk the fields of one message
 * without building objects. The loadgen reads only the handful of fields it
 * needs (names, nonces, type URLs, references between resources), so a full
 * decoder would cost memory and CPU per simulated node for nothing.
 */

/** Protobuf wire types we meet. Groups (3, 4) are obsolete and rejected. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** Thrown when bytes are not a well-formed protobuf message. */
export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

/**
 * A cursor over one message. After {@link next} returns true, `field` and
 * `wireType` describe the current field; for length-delimited fields
 * `start`/`end` bound its payload, for varints `value` holds it (exact below
 * 2^53, which covers every field we read).
 */
export class FieldCursor {
  field = 0;
  wireType = 0;
  start = 0;
  end = 0;
  value = 0;
  #pos: number;
  readonly #limit: number;
  readonly buf: Uint8Array;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.#pos = start;
    this.#limit = end;
  }

  #varint(): number {
    const buf = this.buf;
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#limit) throw new MalformedMessageError('truncated varint');
      const byte = buf[this.#pos++] as number;
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new MalformedMessageError('varint longer than 10 bytes');
  }

  /** Advance to the next field; false at the end of the message. */
  next(): boolean {
    if (this.#pos >= this.#limit) return false;
    const tag = this.#varint();
    this.field = Math.floor(tag / 8);
    this.wireType = tag & 7;
    if (this.field === 0) throw new MalformedMessageError('field number 0');
    switch (this.wireType) {
      case WIRE_VARINT:
        this.value = this.#varint();
        this.start = this.end = this.#pos;
        return true;
      case WIRE_FIXED64:
        this.start = this.#pos;
        this.#pos += 8;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const length = this.#varint();
        this.start = this.#pos;
        this.#pos += length;
        break;
      }
      case WIRE_FIXED32:
        this.start = this.#pos;
        this.#pos += 4;
        break;
      default:
        throw new MalformedMessageError(`unsupported wire type ${this.wireType}`);
    }
    if (this.#pos > this.#limit) throw new MalformedMessageError(`field ${this.field} runs past the end of its message`);
    this.end = this.#pos;
    return true;
  }

  /** The current length-delimited field as a UTF-8 string. */
  string(): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + this.start, this.end - this.start).toString('utf8');
  }

  /** The current length-delimited field as a Buffer view (no copy). */
  bytes(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + this.start, this.end - this.start);
  }

  /** A cursor over the current length-delimited field's payload (an embedded message). */
  sub(): FieldCursor {
    return new FieldCursor(this.buf, this.start, this.end);
  }
}

/**
 * @module xds/wire-reader
 * A strict, bounds-checked protobuf wire-format reader for bytes that come
 * from clients. protobufjs trusts its input: a string field that claims 100
 * bytes and has 3 decodes as the 3 it has, and a wrong wire type on a known
 * field is read as the declared type. Every request is read through this
 * reader (directly, or via ./wire-check before protobufjs sees it), so bad
 * bytes are refused with a message that says what is wrong and where.
 *
 * Rules (https://protobuf.dev/programming-guides/encoding/): a varint has at
 * most 10 bytes and its 10th byte is 0 or 1 (64 bits); a tag is a varint of
 * at most 32 bits with a field number from 1 and wire type 0, 1, 2 or 5
 * (groups, 3 and 4, are proto2 only and refused); a length-delimited field's
 * length fits in what is left of its enclosing message.
 */

/** Longest valid varint, in bytes (64 bits, 7 per byte). */
export const MAX_VARINT_BYTES = 10;
/** Largest valid tag value (field number < 2^29, plus 3 wire-type bits). */
const MAX_TAG = 0xffff_ffff;

/** Protobuf wire types we accept. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

/** Bytes that break the protobuf wire format; the message says what and at which byte. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

/** Reads one message's bytes `[start, end)` of `buf`; every read is checked against `end`. */
export class WireReader {
  pos: number;
  readonly end: number;
  readonly buf: Buffer;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a number (exact below 2^53; larger values only ever serve as skipped scalars). */
  varint(): number {
    const at = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.pos >= this.end) throw new WireFormatError(`varint at byte ${at} is cut off by the end of the message`);
      const byte = this.buf[this.pos++] as number;
      if (i === MAX_VARINT_BYTES - 1 && byte > 1) {
        throw new WireFormatError(`varint at byte ${at} ${byte & 0x80 ? `is longer than ${MAX_VARINT_BYTES} bytes` : 'does not fit in 64 bits'}`);
      }
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    // Unreachable: the 10th byte either ends the varint or was refused above.
    throw new WireFormatError(`varint at byte ${at} is longer than ${MAX_VARINT_BYTES} bytes`);
  }

  /** An int32 varint (negative values take 10 bytes on the wire): the low 32 bits, signed. */
  int32(): number {
    const at = this.pos;
    let low = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new WireFormatError(`varint at byte ${at} is cut off by the end of the message`);
      const byte = this.buf[this.pos++] as number;
      low |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) === 0) return low | 0;
    }
    // Bits past 32 only carry the sign extension: check the rest of the varint and drop them.
    this.pos = at;
    this.varint();
    return low | 0;
  }

  /** A field tag (field number << 3 | wire type), checked for a valid field number and wire type. */
  tag(): number {
    const at = this.pos;
    const tag = this.varint();
    if (tag > MAX_TAG || tag < 8) throw new WireFormatError(`field tag ${tag} at byte ${at} has no valid field number`);
    const wireType = tag & 7;
    if (wireType !== VARINT && wireType !== FIXED64 && wireType !== LENGTH_DELIMITED && wireType !== FIXED32) {
      throw new WireFormatError(`field ${Math.floor(tag / 8)} at byte ${at} has wire type ${wireType}, which proto3 does not use`);
    }
    return tag;
  }

  /** The length prefix of a length-delimited field, checked against the bytes left. */
  length(field: number): number {
    const at = this.pos;
    const length = this.varint();
    const left = this.end - this.pos;
    if (length > left) throw new WireFormatError(`field ${field} at byte ${at} claims ${length} bytes but only ${left} are left`);
    return length;
  }

  /** Skip `length` bytes; returns where they start. */
  take(length: number, field: number): number {
    const start = this.pos;
    if (length > this.end - start) throw new WireFormatError(`field ${field} at byte ${start} needs ${length} bytes but only ${this.end - start} are left`);
    this.pos += length;
    return start;
  }

  /** Skip the value of a field of `wireType` (tag already read). */
  skip(wireType: number, field: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === FIXED64) this.take(8, field);
    else if (wireType === FIXED32) this.take(4, field);
    else {
      const length = this.length(field); // read before `pos +=`, which would use the pos from before the length
      this.pos += length;
    }
  }

  /** A length-delimited field's payload as a UTF-8 string. */
  string(field: number): string {
    const length = this.length(field);
    const start = this.pos;
    this.pos += length;
    return this.buf.toString('utf8', start, start + length);
  }
}

/** Name of a wire type, for messages. */
export function wireTypeName(wireType: number): string {
  return ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'][wireType] ?? `wire type ${wireType}`;
}

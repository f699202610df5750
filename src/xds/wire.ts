/**
 * @module xds/wire
 * The few protobuf wire-format pieces we write by hand: length-delimited
 * fields and varints. Responses are concatenations of pre-encoded fields
 * (repeated fields concatenate, field order is free), so these are all the
 * hot path needs. Field numbers: docs/protocol.md §Field numbers.
 */

/** Bytes a varint of `value` takes (value < 2^53). */
export function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Write a varint at `offset`; returns the offset after it. */
export function writeVarint(buf: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    buf[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[offset++] = value;
  return offset;
}

/** Tag byte(s) for a length-delimited field (wire type 2). */
export function lengthDelimitedTag(fieldNumber: number): number {
  return (fieldNumber << 3) | 2;
}

/** Encode one length-delimited field holding `payload`. */
export function lengthDelimited(fieldNumber: number, payload: Uint8Array): Buffer {
  const tag = lengthDelimitedTag(fieldNumber);
  const header = varintLength(tag) + varintLength(payload.length);
  const out = Buffer.allocUnsafe(header + payload.length);
  let offset = writeVarint(out, 0, tag);
  offset = writeVarint(out, offset, payload.length);
  out.set(payload, offset);
  return out;
}

/** Encode one string field. */
export function stringField(fieldNumber: number, value: string): Buffer {
  return lengthDelimited(fieldNumber, Buffer.from(value, 'utf8'));
}

/** Encode a varint field (wire type 0). */
export function varintField(fieldNumber: number, value: number): Buffer {
  const tag = fieldNumber << 3;
  const out = Buffer.allocUnsafe(varintLength(tag) + varintLength(value));
  writeVarint(out, writeVarint(out, 0, tag), value);
  return out;
}

/** `google.protobuf.Any { type_url = 1; value = 2 }` around already-encoded message bytes. */
export function encodeAny(typeUrl: string, messageBytes: Uint8Array): Buffer {
  return Buffer.concat([stringField(1, typeUrl), lengthDelimited(2, messageBytes)]);
}

/** The payload of a buffer holding exactly one length-delimited field (tag, length, payload). */
export function lengthDelimitedPayload(field: Buffer): Buffer {
  let offset = 0;
  while ((field[offset] ?? 0) & 0x80) offset++; // tag varint
  offset++;
  let length = 0;
  let shift = 1;
  for (;;) {
    const byte = field[offset++] ?? 0;
    length += (byte & 0x7f) * shift;
    if ((byte & 0x80) === 0) break;
    shift *= 128;
  }
  return field.subarray(offset, offset + length);
}

/**
 * @module bench/floor/wire
 * The floor's own few protobuf wire pieces: writing a length-delimited
 * field, and reading one string field off a request. Kept apart from our
 * server's transport on purpose, so the floor measures grpc-js and the
 * machine, not our code. Field numbers: docs/protocol.md §Field numbers.
 */

/** Wire type of a length-delimited field (strings, bytes, messages). */
const WIRE_LENGTH_DELIMITED = 2;

function varintBytes(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** One length-delimited field: tag, length, payload. */
export function field(fieldNumber: number, payload: Uint8Array): Buffer {
  const header = Buffer.from([...varintBytes((fieldNumber << 3) | WIRE_LENGTH_DELIMITED), ...varintBytes(payload.length)]);
  return Buffer.concat([header, payload]);
}

/** One string field. */
export function stringField(fieldNumber: number, value: string): Buffer {
  return field(fieldNumber, Buffer.from(value, 'utf8'));
}

/**
 * The last value of top-level string field `fieldNumber` in `message`, or
 * undefined when it is absent or the message is malformed. Never throws:
 * the floor must survive any input.
 */
export function readStringField(message: Buffer, fieldNumber: number): string | undefined {
  let found: string | undefined;
  let offset = 0;
  const readVarint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (offset >= message.length) return -1;
      const byte = message[offset++] as number;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    return -1;
  };
  while (offset < message.length) {
    const tag = readVarint();
    if (tag < 0) return undefined;
    const wireType = tag % 8;
    const number = Math.floor(tag / 8);
    switch (wireType) {
      case 0:
        if (readVarint() < 0) return undefined;
        break;
      case 1:
        offset += 8;
        break;
      case 2: {
        const length = readVarint();
        if (length < 0 || offset + length > message.length) return undefined;
        if (number === fieldNumber) found = message.toString('utf8', offset, offset + length);
        offset += length;
        break;
      }
      case 5:
        offset += 4;
        break;
      default:
        return undefined;
    }
  }
  return offset === message.length ? found : undefined;
}

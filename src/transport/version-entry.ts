/**
 * @module transport/version-entry
 * One `initial_resource_versions` map entry of a DeltaDiscoveryRequest
 * (field 5), read by hand. A reconnecting delta client sends one per
 * resource it holds (thousands), so the common shape is read without a
 * wire reader per entry; kept apart from the delta decoder (delta-decoder.ts)
 * because it is the one place map entries are parsed.
 */
import { LENGTH_DELIMITED, WireFormatError, WireReader, wireTypeName } from '../xds/wire-reader';

/** Map entry key (field 1) and value (field 2) tags, both length-delimited. */
const ENTRY_KEY_TAG = (1 << 3) | LENGTH_DELIMITED;
const ENTRY_VALUE_TAG = (2 << 3) | LENGTH_DELIMITED;

/** One `initial_resource_versions` map entry {1: name, 2: version}; the last entry for a name wins. */
export function readVersionEntry(r: WireReader, into: Map<string, string>): void {
  const length = r.length(5);
  const start = r.pos;
  const end = start + length;
  r.pos = end;
  const buf = r.buf;
  // The shape every client writes for names and versions under 128 bytes: key tag, 1-byte length, key,
  // value tag, 1-byte length, value, filling the entry exactly. A reconnecting client sends thousands;
  // read them without a reader per entry. Anything else takes the general path below.
  if (length >= 4 && buf[start] === ENTRY_KEY_TAG) {
    const valueTag = start + 2 + (buf[start + 1] as number);
    if (valueTag + 2 <= end && buf[valueTag] === ENTRY_VALUE_TAG && valueTag + 2 + (buf[valueTag + 1] as number) === end && (buf[start + 1] as number) < 0x80 && (buf[valueTag + 1] as number) < 0x80) {
      into.set(buf.toString('utf8', start + 2, valueTag), buf.toString('utf8', valueTag + 2, end));
      return;
    }
  }
  const entry = new WireReader(buf, start, end);
  let name = '';
  let version = '';
  while (!entry.done) {
    const at = entry.pos;
    const tag = entry.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field !== 1 && field !== 2) {
      entry.skip(wireType, field);
      continue;
    }
    if (wireType !== LENGTH_DELIMITED)
      throw new WireFormatError(`initial_resource_versions entry ${field === 1 ? 'key' : 'value'} is length-delimited but came as ${wireTypeName(wireType)} at byte ${at}`);
    if (field === 1) name = entry.string(field);
    else version = entry.string(field);
  }
  into.set(name, version);
}

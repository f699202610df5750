/**
 * @module xds/wire-check
 * Strict validation of client bytes against a message's schema before
 * protobufjs decodes them (protobufjs does not bounds-check strings and
 * trusts wire types, see ./wire-reader). One entry point serves every
 * request type of every service: {@link decodeStrict} checks, then decodes.
 *
 * What it checks, besides the reader's rules: a known field arrives with the
 * wire type its declared type uses (repeated scalars may also come packed);
 * nested messages, map entries and packed runs are well formed all the way
 * down; nesting stays within {@link MAX_NESTING_DEPTH}; and repeated
 * entries (list items, map entries) are counted as they are met, so a
 * request with millions of them is refused after reading only the first
 * `maxEntries`, before any of them is built. Unknown fields are skipped (they
 * are valid protobuf) but still bounds-checked.
 */
import * as protobuf from 'protobufjs';
import { FIXED32, FIXED64, LENGTH_DELIMITED, VARINT, WireFormatError, WireReader, wireTypeName } from './wire-reader';

/**
 * Deepest message nesting accepted (the top-level message is depth 1). The
 * protobuf C++ library's default recursion limit; xDS requests nest a few
 * levels (node metadata Structs a few more), and protobufjs decodes by
 * recursion, so unbounded depth would be a stack overflow waiting to happen.
 */
export const MAX_NESTING_DEPTH = 100;

/** Limits for one check; defaults: {@link MAX_NESTING_DEPTH}, unlimited entries. */
export interface WireLimits {
  readonly maxDepth?: number;
  /** Repeated-field entries (list items and map entries, at any depth) the whole message may hold. */
  readonly maxEntries?: number;
}

/** A message holds more repeated entries than `maxEntries` allows (valid bytes, refused by a limit). */
export class WireLimitError extends Error {
  /** Dotted field path where the limit was crossed, e.g. `metadata.fields`. */
  readonly path: string;
  readonly limit: number;
  constructor(path: string, limit: number) {
    super(`${path} takes the message past ${limit} repeated entries`);
    this.name = 'WireLimitError';
    this.path = path;
    this.limit = limit;
  }
}

/** How to check one field, derived once per type from its protobufjs reflection. */
interface FieldPlan {
  readonly name: string;
  /** Wire type of one (unpacked) value. */
  readonly wireType: number;
  readonly repeated: boolean;
  /** Wire type of a packed element, when the field may come packed. */
  readonly packedWireType: number | undefined;
  readonly message: protobuf.Type | undefined;
  /** For map fields: how to check the entry's key (1) and value (2). */
  readonly map: { readonly key: number; readonly value: number; readonly valueMessage: protobuf.Type | undefined } | undefined;
}

const plans = new WeakMap<protobuf.Type, Map<number, FieldPlan>>();
const BASIC_WIRE = protobuf.types.basic as Readonly<Record<string, number | undefined>>;
const PACKED_WIRE = protobuf.types.packed as Readonly<Record<string, number | undefined>>;
const MAP_KEY_WIRE = protobuf.types.mapKey as Readonly<Record<string, number | undefined>>;

/** Field plans of a type (schema-derived, so the memo is bounded by the proto root, never by clients). */
function planOf(type: protobuf.Type): Map<number, FieldPlan> {
  let plan = plans.get(type);
  if (plan) return plan;
  plan = new Map();
  for (const field of type.fieldsArray) {
    try {
      field.resolve();
    } catch {
      continue; // a type its proto file could not load: checked as an unknown field (skipped, bounds-checked)
    }
    const resolved = field.resolvedType;
    const message = resolved instanceof protobuf.Type ? resolved : undefined;
    const scalarWire = resolved instanceof protobuf.Enum ? VARINT : BASIC_WIRE[field.type];
    if (field instanceof protobuf.MapField) {
      const keyWire = MAP_KEY_WIRE[field.keyType];
      plan.set(field.id, {
        name: field.name,
        wireType: LENGTH_DELIMITED,
        repeated: true,
        packedWireType: undefined,
        message: undefined,
        map: { key: keyWire ?? LENGTH_DELIMITED, value: message ? LENGTH_DELIMITED : (scalarWire ?? LENGTH_DELIMITED), valueMessage: message },
      });
      continue;
    }
    const packedWire = field.repeated && !message ? (resolved instanceof protobuf.Enum ? VARINT : PACKED_WIRE[field.type]) : undefined;
    plan.set(field.id, {
      name: field.name,
      wireType: message ? LENGTH_DELIMITED : (scalarWire ?? LENGTH_DELIMITED),
      repeated: field.repeated,
      packedWireType: packedWire,
      message,
      map: undefined,
    });
  }
  plans.set(type, plan);
  return plan;
}

/** Where the check is, as a linked list turned into a dotted path only when an error needs it. */
interface Path {
  readonly parent: Path | undefined;
  readonly name: string;
}

function pathOf(p: Path | undefined, leaf?: string): string {
  const parts: string[] = leaf === undefined ? [] : [leaf];
  for (let at = p; at; at = at.parent) parts.push(at.name);
  return parts.reverse().join('.');
}

interface CheckState {
  readonly maxDepth: number;
  readonly maxEntries: number;
  entries: number;
}

/**
 * Check that `bytes` are a well-formed `type` message within `limits`.
 * Returns the number of repeated entries it holds. Throws WireFormatError
 * for malformed bytes and WireLimitError past `maxEntries`.
 */
export function checkMessage(type: protobuf.Type, bytes: Buffer, limits: WireLimits = {}): number {
  const state: CheckState = { maxDepth: limits.maxDepth ?? MAX_NESTING_DEPTH, maxEntries: limits.maxEntries ?? Number.POSITIVE_INFINITY, entries: 0 };
  checkRange(type, bytes, 0, bytes.length, 1, undefined, state);
  return state.entries;
}

/** {@link checkMessage}, then decode with protobufjs (which is safe on checked bytes). */
export function decodeStrict(type: protobuf.Type, bytes: Buffer, limits: WireLimits = {}): Record<string, unknown> {
  checkMessage(type, bytes, limits);
  try {
    return type.decode(bytes) as unknown as Record<string, unknown>;
  } catch (err) {
    // Not expected on checked bytes; still the client's bytes, so still the client's error.
    throw new WireFormatError(`${type.name} does not decode: ${(err as Error).message}`);
  }
}

function checkRange(type: protobuf.Type, buf: Buffer, start: number, end: number, depth: number, path: Path | undefined, state: CheckState): void {
  if (depth > state.maxDepth) throw new WireFormatError(`${pathOf(path) || type.name} nests messages more than ${state.maxDepth} deep`);
  const plan = planOf(type);
  const r = new WireReader(buf, start, end);
  while (!r.done) {
    const tag = r.tag();
    const id = tag >>> 3;
    const wireType = tag & 7;
    const field = plan.get(id);
    if (!field) {
      r.skip(wireType, id);
      continue;
    }
    if (field.repeated && ++state.entries > state.maxEntries) throw new WireLimitError(pathOf(path, field.name), state.maxEntries);
    if (wireType === LENGTH_DELIMITED && field.packedWireType !== undefined) {
      const length = r.length(id);
      checkPacked(buf, r.pos, r.pos + length, field.packedWireType, path, field.name, state);
      r.pos += length;
      continue;
    }
    if (wireType !== field.wireType) {
      throw new WireFormatError(`${pathOf(path, field.name)} (field ${id}) is ${wireTypeName(field.wireType)} but came as ${wireTypeName(wireType)} at byte ${r.pos}`);
    }
    if (wireType !== LENGTH_DELIMITED) {
      r.skip(wireType, id);
      continue;
    }
    const length = r.length(id);
    if (field.message) checkRange(field.message, buf, r.pos, r.pos + length, depth + 1, { parent: path, name: field.name }, state);
    else if (field.map) checkMapEntry(field.map, buf, r.pos, r.pos + length, depth + 1, { parent: path, name: field.name }, state);
    r.pos += length;
  }
}

function checkMapEntry(map: NonNullable<FieldPlan['map']>, buf: Buffer, start: number, end: number, depth: number, path: Path, state: CheckState): void {
  const r = new WireReader(buf, start, end);
  while (!r.done) {
    const tag = r.tag();
    const id = tag >>> 3;
    const wireType = tag & 7;
    const expected = id === 1 ? map.key : id === 2 ? map.value : undefined;
    if (expected === undefined) {
      r.skip(wireType, id);
      continue;
    }
    if (wireType !== expected) throw new WireFormatError(`${pathOf(path)} map ${id === 1 ? 'key' : 'value'} is ${wireTypeName(expected)} but came as ${wireTypeName(wireType)} at byte ${r.pos}`);
    if (id === 2 && map.valueMessage) {
      const length = r.length(id);
      checkRange(map.valueMessage, buf, r.pos, r.pos + length, depth + 1, path, state);
      r.pos += length;
    } else {
      r.skip(wireType, id);
    }
  }
}

function checkPacked(buf: Buffer, start: number, end: number, wireType: number, path: Path | undefined, name: string, state: CheckState): void {
  const length = end - start;
  if (wireType === VARINT) {
    const r = new WireReader(buf, start, end);
    let n = 0;
    while (!r.done) {
      r.varint();
      n++;
    }
    countPacked(n, path, name, state);
    return;
  }
  const size = wireType === FIXED64 ? 8 : wireType === FIXED32 ? 4 : 1;
  if (length % size !== 0) throw new WireFormatError(`${pathOf(path, name)}: packed run of ${length} bytes is not a whole number of ${size}-byte values`);
  countPacked(length / size, path, name, state);
}

/** The first packed value was counted with its tag; count the rest. */
function countPacked(n: number, path: Path | undefined, name: string, state: CheckState): void {
  state.entries += Math.max(0, n - 1);
  if (state.entries > state.maxEntries) throw new WireLimitError(pathOf(path, name), state.maxEntries);
}

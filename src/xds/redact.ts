/**
 * @module xds/redact
 * Sensitive fields out of resources we show (CSDS today, /config_dump
 * tomorrow), with the rule Envoy's own config_dump applies: every field the
 * Envoy API marks `(udpa.annotations.sensitive) = true` (a Secret's private
 * key, a generic secret, session ticket keys, a private key inlined in a
 * Listener's or Cluster's TLS context) and everything below it has its
 * strings and bytes replaced by `[redacted]` and other scalars cleared.
 * Nested `Any` values are unpacked and redacted too, because that is where a
 * TLS context inlined in a Listener or Cluster lives; an `Any` or
 * `TypedStruct` whose type cannot be inspected is withheld whole, never
 * shown as is.
 *
 * Resources are stored encoded, so redaction decodes them once per content
 * version; the result (often the very same bytes: most resources hold no
 * secret) is kept in a bounded per-server cache.
 */
import * as protobuf from 'protobufjs';
import { ANY, fullName, isSensitive, isTypedStruct, REDACTED, SensitiveTypes, typeUrlOf } from './sensitive-fields';

export { REDACTED } from './sensitive-fields';
/** Redacted results kept per server (keyed by type URL + content version). */
export const REDACTION_CACHE_ENTRIES = 20_000;

const REDACTED_BYTES = Buffer.from(REDACTED, 'utf8');

type Msg = Record<string, unknown>;

function own(msg: Msg, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(msg, key) && msg[key] !== null && msg[key] !== undefined;
}

/** The value field (2) of an encoded map entry, if it has one. */
function mapEntryValue(entry: Uint8Array): Uint8Array | undefined {
  const reader = protobuf.Reader.create(entry);
  let value: Uint8Array | undefined;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === ((2 << 3) | 2)) value = reader.bytes();
    else reader.skipType(tag & 7);
  }
  return value;
}

/**
 * Redacts encoded resources for one proto root. Holds per-type answers and a
 * bounded cache, so make one per server (no module-level state).
 */
export class Redactor {
  readonly #root: protobuf.Root;
  readonly #types: SensitiveTypes;
  readonly #cache = new Map<string, Uint8Array | null>();
  readonly #cacheEntries: number;

  constructor(root: protobuf.Root, cacheEntries: number = REDACTION_CACHE_ENTRIES) {
    this.#root = root;
    this.#types = new SensitiveTypes(root);
    this.#cacheEntries = cacheEntries;
  }

  /**
   * The encoded `google.protobuf.Any` (type_url + value) with every sensitive
   * field redacted: the same bytes when it holds none, a re-encoded copy when
   * it does, or undefined when it cannot be inspected (and must not be shown).
   * `cacheKey` (type URL + content version) lets repeated calls skip decoding.
   */
  redactAny(anyBytes: Uint8Array, cacheKey?: string): Uint8Array | undefined {
    if (cacheKey !== undefined) {
      const hit = this.#cache.get(cacheKey);
      if (hit !== undefined) return hit === null ? undefined : hit;
    }
    let out: Uint8Array | undefined;
    try {
      const anyType = this.#root.lookupType(ANY);
      // Most resources hold no secret: a schema-guided walk of the wire bytes says so without
      // decoding them (decoding a large Cluster costs more, and its first decode compiles code).
      if (this.#scan(anyType, anyBytes, false) === 'clean') {
        out = anyBytes;
      } else {
        const any = anyType.decode(anyBytes) as unknown as Msg;
        const result = this.#redactAnyMessage(any, false);
        out = result === 'withheld' ? undefined : result === 'unchanged' ? anyBytes : anyType.encode(any as unknown as protobuf.Message).finish();
      }
    } catch {
      out = undefined; // not decodable: never show bytes we could not inspect
    }
    if (cacheKey !== undefined) {
      if (this.#cache.size >= this.#cacheEntries) {
        const oldest = this.#cache.keys().next().value;
        if (oldest !== undefined) this.#cache.delete(oldest);
      }
      this.#cache.set(cacheKey, out ?? null);
    }
    return out;
  }

  /** Whether a message of `type` can carry a sensitive field anywhere below it. */
  mayHoldSensitive(type: protobuf.Type): boolean {
    return this.#types.mayHold(type);
  }

  /**
   * Walk encoded `bytes` of `type` without decoding them: 'clean' when no
   * sensitive field is present (below a sensitive field, any content counts)
   * and every Any inside names a known type; 'dirty' otherwise, and then the
   * caller decodes and redacts. Fields whose type cannot hold a secret are
   * skipped by length.
   */
  #scan(type: protobuf.Type, bytes: Uint8Array, sensitive: boolean): 'clean' | 'dirty' {
    if (sensitive && bytes.length > 0) return 'dirty';
    const isAny = fullName(type) === ANY;
    const reader = protobuf.Reader.create(bytes);
    let anyTypeUrl = '';
    let anyValue: Uint8Array | undefined;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const wireType = tag & 7;
      const field = type.fieldsById[tag >>> 3];
      if (!field || wireType !== 2) {
        if (field && (sensitive || isSensitive(field))) return 'dirty';
        if (wireType === 3 || wireType === 4) return 'dirty'; // groups: not ours to parse; let the decoder judge
        reader.skipType(wireType);
        continue;
      }
      const payload = reader.bytes();
      if (isSensitive(field)) return 'dirty';
      if (isAny) {
        if (field.id === 1) anyTypeUrl = protobuf.util.utf8.read(payload, 0, payload.length);
        else if (field.id === 2) anyValue = payload;
        continue;
      }
      const inner = field.resolve().resolvedType;
      if (!(inner instanceof protobuf.Type) || !this.mayHoldSensitive(inner)) continue;
      // A map entry is a message {1: key, 2: value}; only the value can hold a secret.
      const value = field.map ? mapEntryValue(payload) : payload;
      if (value !== undefined && this.#scan(inner, value, false) === 'dirty') return 'dirty';
    }
    if (isAny && anyValue !== undefined && anyValue.length > 0) {
      const inner = this.#types.typeOf(anyTypeUrl);
      if (!inner) return 'dirty';
      return this.mayHoldSensitive(inner) ? this.#scan(inner, anyValue, false) : 'clean';
    }
    return 'clean';
  }

  /** Redact an Any in place: unpack, redact, repack. */
  #redactAnyMessage(any: Msg, sensitive: boolean): 'unchanged' | 'changed' | 'withheld' {
    const typeUrl = typeUrlOf(any);
    const value = any['value'] instanceof Uint8Array ? any['value'] : new Uint8Array(0);
    if (value.length === 0) return 'unchanged';
    const inner = this.#types.typeOf(typeUrl);
    if (!inner) return 'withheld';
    if (!sensitive && !this.mayHoldSensitive(inner)) return 'unchanged';
    const message = inner.decode(value) as unknown as Msg;
    if (!this.#redactMessage(inner, message, sensitive)) return 'unchanged';
    any['value'] = inner.encode(message as unknown as protobuf.Message).finish();
    return 'changed';
  }

  /** Redact `msg` (of `type`) in place; true if anything changed. */
  #redactMessage(type: protobuf.Type, msg: Msg, sensitive: boolean): boolean {
    let changed = false;
    for (const field of type.fieldsArray) {
      if (!own(msg, field.name)) continue;
      const value = msg[field.name];
      const fieldSensitive = sensitive || isSensitive(field);
      const inner = field.resolve().resolvedType;
      if (inner instanceof protobuf.Type) {
        const items = field.map ? Object.values(value as Msg) : field.repeated ? (value as unknown[]) : [value];
        for (const item of items) if (this.#redactNested(inner, item as Msg, fieldSensitive)) changed = true;
        continue;
      }
      if (!fieldSensitive) continue;
      changed = true;
      if (field.type === 'string' || field.type === 'bytes') {
        const replacement = field.type === 'string' ? REDACTED : REDACTED_BYTES;
        if (field.map) for (const key of Object.keys(value as Msg)) (value as Msg)[key] = replacement;
        else msg[field.name] = field.repeated ? (value as unknown[]).map(() => replacement) : replacement;
      } else {
        delete msg[field.name];
      }
    }
    return changed;
  }

  #redactNested(type: protobuf.Type, item: Msg, sensitive: boolean): boolean {
    const name = fullName(type);
    if (name === ANY) {
      const outcome = this.#redactAnyMessage(item, sensitive);
      if (outcome === 'withheld') item['value'] = new Uint8Array(0);
      return outcome !== 'unchanged';
    }
    if (isTypedStruct(type) && !sensitive) {
      // A TypedStruct's fields are untyped: if the type it stands for can hold a secret, treat the whole struct as secret.
      const typeUrl = typeUrlOf(item);
      const target = this.#types.typeOf(typeUrl);
      if (target !== undefined && !this.mayHoldSensitive(target)) return false;
      const struct = type.fields['value']?.resolve().resolvedType;
      if (!(struct instanceof protobuf.Type) || !own(item, 'value')) return false;
      return this.#redactMessage(struct, item['value'] as Msg, true);
    }
    if (!sensitive && !this.mayHoldSensitive(type)) return false;
    return this.#redactMessage(type, item, sensitive);
  }
}

/**
 * @module xds/redact-json
 * Redacts a resource written as proto3 JSON before it is shown (`fanout-xds
 * get`), by the rule Envoy's config_dump applies: every field the Envoy API
 * marks `(udpa.annotations.sensitive) = true` (a Secret's private key,
 * generic secrets, session ticket keys, a private key inlined in a TLS
 * context) has every scalar below it replaced by `[redacted]`. Nested `Any`
 * values are followed through their `@type`; an `Any` of a type no loaded
 * proto defines, and a TypedStruct standing for a type that can hold a
 * secret, are redacted whole.
 *
 * The same rule as xds/redact.ts (CSDS), which works on encoded bytes; this
 * one works on the JSON etcd holds, so `get` shows what the user wrote.
 */
import * as protobuf from 'protobufjs';
import { lookupMessage } from './proto-root';
import { messageNameOf } from './type-urls';
import { REDACTED, SENSITIVE_OPTION } from './redact';
const ANY = 'google.protobuf.Any';
const TYPED_STRUCTS = new Set(['xds.type.v3.TypedStruct', 'udpa.type.v1.TypedStruct']);

type Json = unknown;

function fullName(type: protobuf.Type): string {
  return type.fullName.startsWith('.') ? type.fullName.slice(1) : type.fullName;
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Every scalar below `value` becomes `[redacted]`; the shape (keys, list lengths) stays. */
function redactAll(value: Json): Json {
  if (Array.isArray(value)) return value.map(redactAll);
  if (isObject(value)) {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === '@type' ? v : redactAll(v);
    return out;
  }
  return REDACTED;
}

/** Redacts JSON resources against one proto root; remembers which types can hold a secret. */
export class JsonRedactor {
  readonly #root: protobuf.Root;
  readonly #mayHold = new Map<protobuf.Type, boolean>();

  constructor(root: protobuf.Root) {
    this.#root = root;
  }

  /** A copy of `resource` (proto3 JSON with `@type`) with sensitive fields redacted. */
  redact(resource: Readonly<Record<string, Json>>): Record<string, Json> {
    return this.#any(resource, false) as Record<string, Json>;
  }

  /** Whether a message of `type` can hold a sensitive field anywhere below it (Any and TypedStruct can hold anything). */
  #mayHoldSensitive(type: protobuf.Type): boolean {
    const known = this.#mayHold.get(type);
    if (known !== undefined) return known;
    const seen = new Set<protobuf.Type>();
    const walk = (t: protobuf.Type): boolean => {
      if (seen.has(t)) return false;
      seen.add(t);
      if (fullName(t) === ANY || TYPED_STRUCTS.has(fullName(t))) return true;
      for (const field of t.fieldsArray) {
        if (field.options?.[SENSITIVE_OPTION] === true) return true;
        const inner = field.resolve().resolvedType;
        if (inner instanceof protobuf.Type && walk(inner)) return true;
      }
      return false;
    };
    const answer = walk(type);
    this.#mayHold.set(type, answer);
    return answer;
  }

  #any(value: Record<string, Json>, sensitive: boolean): Json {
    const typeUrl = typeof value['@type'] === 'string' ? value['@type'] : '';
    const type = typeUrl === '' ? undefined : lookupMessage(this.#root, messageNameOf(typeUrl));
    if (!type) return redactAll(value);
    return this.#message(type, value, sensitive);
  }

  #message(type: protobuf.Type, value: Json, sensitive: boolean): Json {
    if (sensitive) return redactAll(value);
    if (!isObject(value) || !this.#mayHoldSensitive(type)) return value;
    if (TYPED_STRUCTS.has(fullName(type))) {
      const typeUrl = value['type_url'] ?? value['typeUrl'];
      const target = typeof typeUrl === 'string' ? lookupMessage(this.#root, messageNameOf(typeUrl)) : undefined;
      return target && !this.#mayHoldSensitive(target) ? value : { ...value, value: redactAll(value['value']) };
    }
    const out: Record<string, Json> = {};
    for (const [key, v] of Object.entries(value)) {
      const field = key === '@type' ? undefined : type.fields[camel(key)];
      if (!field) {
        out[key] = v;
        continue;
      }
      const fieldSensitive = field.options?.[SENSITIVE_OPTION] === true;
      const inner = field.resolve().resolvedType;
      const one = (item: Json): Json => {
        if (fieldSensitive) return redactAll(item);
        if (!(inner instanceof protobuf.Type)) return item;
        if (fullName(inner) === ANY && isObject(item)) return this.#any(item, false);
        return this.#message(inner, item, false);
      };
      if (field.map && isObject(v)) out[key] = Object.fromEntries(Object.entries(v).map(([k, item]) => [k, one(item)]));
      else if (field.repeated && Array.isArray(v)) out[key] = v.map(one);
      else out[key] = one(v);
    }
    return out;
  }
}

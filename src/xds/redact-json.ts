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
import { ANY, fullName, isSensitive, isTypedStruct, REDACTED, SensitiveTypes, typeUrlOf } from './sensitive-fields';

type Json = unknown;

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
  readonly #types: SensitiveTypes;

  constructor(root: protobuf.Root) {
    this.#types = new SensitiveTypes(root);
  }

  /** A copy of `resource` (proto3 JSON with `@type`) with sensitive fields redacted. */
  redact(resource: Readonly<Record<string, Json>>): Record<string, Json> {
    return this.#any(resource, false) as Record<string, Json>;
  }

  #any(value: Record<string, Json>, sensitive: boolean): Json {
    const type = this.#types.typeOf(typeof value['@type'] === 'string' ? value['@type'] : '');
    if (!type) return redactAll(value);
    return this.#message(type, value, sensitive);
  }

  #message(type: protobuf.Type, value: Json, sensitive: boolean): Json {
    if (sensitive) return redactAll(value);
    if (!isObject(value) || !this.#types.mayHold(type)) return value;
    if (isTypedStruct(type)) {
      const target = this.#types.typeOf(typeUrlOf(value));
      return target && !this.#types.mayHold(target) ? value : { ...value, value: redactAll(value['value']) };
    }
    const out: Record<string, Json> = {};
    for (const [key, v] of Object.entries(value)) {
      const field = key === '@type' ? undefined : type.fields[camel(key)];
      if (!field) {
        out[key] = v;
        continue;
      }
      const fieldSensitive = isSensitive(field);
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

/**
 * @module encode/proto-json
 * Proto3 JSON (as Envoy users write it, snake_case or camelCase, `@type` on
 * Any) → a protobufjs-ready plain object, checking as it goes: unknown
 * fields, wrong value kinds, unknown enum names, two members of one oneof,
 * and the protoc-gen-validate rules Envoy itself enforces most often
 * (required messages and oneofs, string/repeated lengths, numeric bounds,
 * defined enums).
 *
 * protobufjs's own `fromObject` silently drops unknown fields and does not
 * understand the JSON forms of the well-known types (Duration "5s",
 * wrappers as bare values, Struct), so Envoy-style config needs this pass.
 * Map keys are emitted sorted so the encoding, and so the version hash, is
 * deterministic.
 */
import * as protobuf from 'protobufjs';
import { bareExcerpt, describeValue, excerpt, keyExcerpt, pathKey } from '../observe/excerpt';

/** One problem found in a resource, with the JSON path of the field. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

type Json = unknown;
type Plain = Record<string, unknown>;

const MAX_DEPTH = 64;

const WRAPPERS = new Set([
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

// protobufjs computes fullName by walking parents on every access; these
// caches keep the per-field work of a large config to map lookups.
const fullNames = new WeakMap<protobuf.Type, string>();
const ruleFields = new WeakMap<protobuf.Type, protobuf.Field[]>();
const camelNames = new Map<string, string>();

function fullName(type: protobuf.Type): string {
  let name = fullNames.get(type);
  if (name === undefined) {
    name = type.fullName.startsWith('.') ? type.fullName.slice(1) : type.fullName;
    fullNames.set(type, name);
  }
  return name;
}

/** Fields of `type` that carry protoc-gen-validate rules. */
function fieldsWithRules(type: protobuf.Type): protobuf.Field[] {
  let fields = ruleFields.get(type);
  if (!fields) {
    fields = type.fieldsArray.filter((f) => f.options && Object.keys(f.options).some((k) => k.startsWith('(validate.rules)')));
    ruleFields.set(type, fields);
  }
  return fields;
}

function isPlainObject(value: Json): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function camel(name: string): string {
  let out = camelNames.get(name);
  if (out === undefined) {
    out = name.includes('_') ? name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) : name;
    if (camelNames.size < 100_000) camelNames.set(name, out);
  }
  return out;
}

/** A field path. A key that is not a proto field name comes from config only: pass it through pathKey first. */
function joinPath(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

/** Converts one resource; collects every error rather than stopping at the first. */
export class ProtoJsonConverter {
  readonly #root: protobuf.Root;
  #errors: FieldError[] = [];

  constructor(root: protobuf.Root) {
    this.#root = root;
  }

  /**
   * Convert `json` (without its own `@type`) to a plain object for `type`.
   * Returns the object and the errors; the object is meaningful only when
   * there are none.
   */
  convert(type: protobuf.Type, json: Json, path: string): { value: Plain; errors: FieldError[] } {
    this.#errors = [];
    const value = this.#message(type, json, path, 0);
    return { value: value ?? {}, errors: this.#errors };
  }

  /** Encode a converted object; the caller has already checked it. */
  encode(type: protobuf.Type, value: Plain): Uint8Array {
    return type.encode(type.fromObject(value)).finish();
  }

  readonly #types = new Map<string, protobuf.Type | null>();

  #lookup(messageName: string): protobuf.Type | undefined {
    let type = this.#types.get(messageName);
    if (type === undefined) {
      try {
        type = this.#root.lookupType(messageName);
      } catch {
        type = null;
      }
      if (this.#types.size < 10_000) this.#types.set(messageName, type);
    }
    return type ?? undefined;
  }

  #fail(field: string, message: string): undefined {
    this.#errors.push({ field, message });
    return undefined;
  }

  #message(type: protobuf.Type, json: Json, path: string, depth: number): Plain | undefined {
    if (depth > MAX_DEPTH) return this.#fail(path, `nesting deeper than ${MAX_DEPTH} levels`);
    const name = fullName(type);
    if (name === 'google.protobuf.Any') return this.#any(json, path, depth);
    if (name === 'google.protobuf.Duration') return this.#duration(json, path);
    if (name === 'google.protobuf.Timestamp') return this.#timestamp(json, path);
    if (name === 'google.protobuf.Struct') return this.#struct(json, path, depth);
    if (name === 'google.protobuf.Value') return this.#value(json, path, depth);
    if (name === 'google.protobuf.ListValue') return this.#listValue(json, path, depth);
    if (name === 'google.protobuf.FieldMask') return this.#fieldMask(json, path);
    if (WRAPPERS.has(name)) {
      const inner = type.fields['value'];
      if (!inner) return this.#fail(path, `wrapper ${name} has no value field`);
      const v = this.#scalar(inner, json, path);
      return v === undefined ? undefined : { value: v };
    }
    if (!isPlainObject(json)) return this.#fail(path, `expected an object for ${name}, got ${describe(json)}`);

    const out: Plain = {};
    const setOneofs = new Map<string, string>();
    const writtenAs = new Map<string, string>();
    for (const key of Object.keys(json)) {
      const field = type.fields[camel(key)] ?? type.fields[key];
      if (!field) {
        this.#fail(joinPath(path, pathKey(key)), `unknown field ${keyExcerpt(key)} in ${name}`);
        continue;
      }
      const fieldPath = joinPath(path, key);
      writtenAs.set(field.name, key);
      const raw = json[key];
      if (raw === null) continue; // proto3 JSON: null means default
      if (field.partOf) {
        const other = setOneofs.get(field.partOf.name);
        if (other !== undefined) {
          this.#fail(fieldPath, `"${key}" and "${other}" are both set, but they belong to the same oneof "${field.partOf.name}"`);
          continue;
        }
        setOneofs.set(field.partOf.name, key);
      }
      const converted = this.#field(field, raw, fieldPath, depth);
      if (converted !== undefined) out[field.name] = converted;
    }
    this.#checkRules(type, out, path, setOneofs, writtenAs);
    return out;
  }

  #field(field: protobuf.Field, raw: Json, path: string, depth: number): unknown {
    if (field instanceof protobuf.MapField) {
      if (!isPlainObject(raw)) return this.#fail(path, `expected an object (map), got ${describe(raw)}`);
      const out: Plain = {};
      for (const key of Object.keys(raw).sort()) {
        const v = this.#single(field, raw[key], `${path}[${keyExcerpt(key)}]`, depth);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(raw)) return this.#fail(path, `expected a list, got ${describe(raw)}`);
      const out: unknown[] = [];
      raw.forEach((item, i) => {
        const v = this.#single(field, item, `${path}[${i}]`, depth);
        if (v !== undefined) out.push(v);
      });
      return out;
    }
    return this.#single(field, raw, path, depth);
  }

  #single(field: protobuf.Field, raw: Json, path: string, depth: number): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return this.#message(resolved, raw, path, depth + 1);
    if (resolved instanceof protobuf.Enum) return this.#enum(resolved, raw, path);
    return this.#scalar(field, raw, path);
  }

  #enum(type: protobuf.Enum, raw: Json, path: string): number | undefined {
    if (typeof raw === 'string') {
      const v = type.values[raw];
      if (v === undefined) {
        const allowed = Object.keys(type.values).slice(0, 12).join(', ');
        return this.#fail(path, `${excerpt(raw)} is not a value of enum ${type.name} (one of: ${allowed})`);
      }
      return v;
    }
    if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
    return this.#fail(path, `expected an enum name of ${type.name}, got ${describe(raw)}`);
  }

  #scalar(field: protobuf.Field, raw: Json, path: string): unknown {
    switch (field.type) {
      case 'string':
        return typeof raw === 'string' ? raw : this.#fail(path, `expected a string, got ${describe(raw)}`);
      case 'bool':
        return typeof raw === 'boolean' ? raw : this.#fail(path, `expected true or false, got ${describe(raw)}`);
      case 'bytes':
        if (typeof raw !== 'string') return this.#fail(path, `expected base64 bytes as a string, got ${describe(raw)}`);
        return Buffer.from(raw, 'base64');
      case 'double':
      case 'float': {
        if (typeof raw === 'number') return raw;
        if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return Number(raw);
        if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw);
        return this.#fail(path, `expected a number, got ${describe(raw)}`);
      }
      case 'int32':
      case 'sint32':
      case 'sfixed32':
      case 'uint32':
      case 'fixed32': {
        const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
        if (typeof n !== 'number' || !Number.isInteger(n)) return this.#fail(path, `expected an integer, got ${describe(raw)}`);
        const unsigned = field.type === 'uint32' || field.type === 'fixed32';
        if (unsigned ? n < 0 || n > 0xffffffff : n < -0x80000000 || n > 0x7fffffff) {
          return this.#fail(path, `${n} is out of range for ${field.type}`);
        }
        return n;
      }
      case 'int64':
      case 'sint64':
      case 'sfixed64':
      case 'uint64':
      case 'fixed64': {
        if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
        if (typeof raw === 'string' && /^-?\d+$/.test(raw)) return raw;
        return this.#fail(path, `expected an integer (number or decimal string), got ${describe(raw)}`);
      }
      default:
        return this.#fail(path, `unsupported field type ${field.type}`);
    }
  }

  #any(json: Json, path: string, depth: number): Plain | undefined {
    if (!isPlainObject(json)) return this.#fail(path, `expected an object with "@type", got ${describe(json)}`);
    const typeUrl = json['@type'];
    if (typeof typeUrl !== 'string' || typeUrl === '') return this.#fail(joinPath(path, '@type'), 'an Any needs "@type"');
    const messageName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    const inner = this.#lookup(messageName);
    if (!inner) return this.#fail(joinPath(path, '@type'), `unknown type ${excerpt(typeUrl)}: no loaded proto defines ${bareExcerpt(messageName)}`);
    const wellKnownJson = fullName(inner).startsWith('google.protobuf.') && 'value' in json;
    const body: Json = wellKnownJson ? json['value'] : withoutKey(json, '@type');
    const before = this.#errors.length;
    const value = this.#message(inner, body, path, depth + 1);
    if (value === undefined || this.#errors.length !== before) return undefined;
    return { type_url: typeUrl, value: this.encode(inner, value) };
  }

  #duration(json: Json, path: string): Plain | undefined {
    if (isPlainObject(json)) return { seconds: json['seconds'] ?? 0, nanos: json['nanos'] ?? 0 };
    if (typeof json !== 'string') return this.#fail(path, `expected a duration like "1.5s", got ${describe(json)}`);
    const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json);
    if (!m) return this.#fail(path, `${excerpt(json)} is not a duration; write seconds with an "s" suffix, like "0.25s"`);
    const sign = m[1] ? -1 : 1;
    const seconds = Number(m[2]);
    const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
    return { seconds: sign * seconds, nanos: sign * nanos };
  }

  #timestamp(json: Json, path: string): Plain | undefined {
    if (typeof json !== 'string' || Number.isNaN(Date.parse(json))) {
      return this.#fail(path, `expected an RFC 3339 timestamp, got ${describe(json)}`);
    }
    const ms = Date.parse(json);
    return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
  }

  #struct(json: Json, path: string, depth: number): Plain | undefined {
    if (!isPlainObject(json)) return this.#fail(path, `expected an object, got ${describe(json)}`);
    const fields: Plain = {};
    for (const key of Object.keys(json).sort()) {
      const v = this.#value(json[key], joinPath(path, pathKey(key)), depth + 1);
      if (v !== undefined) fields[key] = v;
    }
    return { fields };
  }

  #value(json: Json, path: string, depth: number): Plain | undefined {
    if (depth > MAX_DEPTH) return this.#fail(path, `nesting deeper than ${MAX_DEPTH} levels`);
    if (json === null) return { nullValue: 0 };
    if (typeof json === 'number') return { numberValue: json };
    if (typeof json === 'string') return { stringValue: json };
    if (typeof json === 'boolean') return { boolValue: json };
    if (Array.isArray(json)) {
      const list = this.#listValue(json, path, depth);
      return list === undefined ? undefined : { listValue: list };
    }
    const struct = this.#struct(json, path, depth);
    return struct === undefined ? undefined : { structValue: struct };
  }

  #listValue(json: Json, path: string, depth: number): Plain | undefined {
    if (!Array.isArray(json)) return this.#fail(path, `expected a list, got ${describe(json)}`);
    const values: Plain[] = [];
    json.forEach((item, i) => {
      const v = this.#value(item, `${path}[${i}]`, depth + 1);
      if (v !== undefined) values.push(v);
    });
    return { values };
  }

  #fieldMask(json: Json, path: string): Plain | undefined {
    if (typeof json !== 'string') return this.#fail(path, `expected a comma-separated field mask, got ${describe(json)}`);
    return { paths: json === '' ? [] : json.split(',') };
  }

  /** The protoc-gen-validate rules Envoy enforces most; presence is judged on the converted object. */
  #checkRules(type: protobuf.Type, out: Plain, path: string, setOneofs: Map<string, string>, writtenAs: Map<string, string>): void {
    for (const oneof of type.oneofsArray) {
      if (oneof.options?.['(validate.required)'] === true && !setOneofs.has(oneof.name)) {
        this.#fail(joinPath(path, snake(oneof.name)), `one of ${oneof.oneof.map(snake).join(', ')} is required`);
      }
    }
    for (const field of fieldsWithRules(type)) {
      const rules = field.options;
      if (!rules) continue;
      // Built only on failure: most fields pass and the path string is not free.
      const at = (): string => joinPath(path, writtenAs.get(field.name) ?? snake(field.name));
      const value = out[field.name];
      // A oneof member is only ever required when its oneof picked it.
      if (rules['(validate.rules).message.required'] === true && value === undefined && !field.partOf) {
        this.#fail(at(), 'is required');
        continue;
      }
      if (field.repeated) {
        const count = Array.isArray(value) ? value.length : value && typeof value === 'object' ? Object.keys(value).length : 0;
        const min = rules['(validate.rules).repeated.min_items'] ?? rules['(validate.rules).map.min_pairs'];
        if (typeof min === 'number' && count < min) this.#fail(at(), `needs at least ${min} item(s), has ${count}`);
        const max = rules['(validate.rules).repeated.max_items'];
        if (typeof max === 'number' && count > max) this.#fail(at(), `allows at most ${max} item(s), has ${count}`);
        continue;
      }
      if (field.type === 'string' && !field.partOf) {
        const s = typeof value === 'string' ? value : '';
        const minLen = rules['(validate.rules).string.min_len'] ?? rules['(validate.rules).string.min_bytes'];
        if (typeof minLen === 'number' && s.length < minLen) {
          this.#fail(at(), minLen === 1 ? 'must not be empty' : `must be at least ${minLen} characters`);
        }
        const maxBytes = rules['(validate.rules).string.max_bytes'];
        if (typeof maxBytes === 'number' && Buffer.byteLength(s) > maxBytes) this.#fail(at(), `is longer than ${maxBytes} bytes`);
        continue;
      }
      if (typeof value === 'number') {
        const prefix = `(validate.rules).${field.type}.`;
        const gt = rules[prefix + 'gt'],
          gte = rules[prefix + 'gte'],
          lt = rules[prefix + 'lt'],
          lte = rules[prefix + 'lte'];
        if (typeof gt === 'number' && !(value > gt)) this.#fail(at(), `${value} must be greater than ${gt}`);
        if (typeof gte === 'number' && !(value >= gte)) this.#fail(at(), `${value} must be at least ${gte}`);
        if (typeof lt === 'number' && !(value < lt)) this.#fail(at(), `${value} must be less than ${lt}`);
        if (typeof lte === 'number' && !(value <= lte)) this.#fail(at(), `${value} must be at most ${lte}`);
        if (rules['(validate.rules).enum.defined_only'] === true && field.resolvedType instanceof protobuf.Enum) {
          if (field.resolvedType.valuesById[value] === undefined) this.#fail(at(), `${value} is not a defined value of ${field.resolvedType.name}`);
        }
      }
    }
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function withoutKey(obj: Plain, key: string): Plain {
  const copy: Plain = {};
  for (const k of Object.keys(obj)) if (k !== key) copy[k] = obj[k];
  return copy;
}

function describe(value: Json): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return 'an object';
  return describeValue(value);
}

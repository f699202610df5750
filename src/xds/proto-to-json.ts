/**
 * @module xds/proto-to-json
 * Encoded protobuf → proto3 JSON, as `/config_dump` shows resources:
 * protobufjs's `toObject` does the fields (int64 as strings, enums by
 * name, bytes as base64, NaN/Infinity as strings), and this module adds
 * what it leaves out, the JSON forms of the well-known types: an `Any` as
 * its message's fields plus `"@type"`, Duration `"1.500s"`, Timestamp as
 * RFC 3339, wrappers as bare values, Struct/Value/ListValue as plain JSON,
 * FieldMask as `"a,fooBar"`.
 *
 * protobufjs expands an `Any` itself (with `json: true`) only when its
 * fields are named `type_url` (protobufjs's bundled Any, which our root
 * uses) and its type is found; the fields inside still need the well-known
 * type pass. An Any whose fields are camelCase arrives as `{typeUrl, value}`
 * and is unpacked here. An Any whose type no loaded proto defines keeps its
 * type URL and base64 value.
 */
import * as protobuf from 'protobufjs';
import { lookupMessage } from './proto-root';
import { messageNameOf } from './type-urls';

type Json = unknown;
type Obj = Record<string, Json>;

/** toObject options for proto3 JSON (fields at their default value are left out, as proto3 JSON does). */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true, defaults: false };

/** Deepest nesting followed; deeper values are shown as they come from toObject. */
const MAX_DEPTH = 100;

const WRAPPER_DEFAULTS: Readonly<Record<string, Json>> = {
  'google.protobuf.DoubleValue': 0,
  'google.protobuf.FloatValue': 0,
  'google.protobuf.Int64Value': '0',
  'google.protobuf.UInt64Value': '0',
  'google.protobuf.Int32Value': 0,
  'google.protobuf.UInt32Value': 0,
  'google.protobuf.BoolValue': false,
  'google.protobuf.StringValue': '',
  'google.protobuf.BytesValue': '',
};

/** Well-known types whose JSON is not their fields: inside an Any they sit under `"value"`. */
const SPECIAL_JSON = new Set([
  ...Object.keys(WRAPPER_DEFAULTS),
  'google.protobuf.Any',
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.FieldMask',
]);

function fullName(type: protobuf.Type): string {
  return type.fullName.startsWith('.') ? type.fullName.slice(1) : type.fullName;
}

function isObj(v: Json): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "1.500s": seconds with 0, 3, 6 or 9 fraction digits, as the proto3 JSON mapping writes a Duration. */
export function durationJson(seconds: string | number, nanos: number): string {
  const secs = BigInt(seconds);
  const negative = secs < 0n || nanos < 0;
  const whole = secs < 0n ? -secs : secs;
  const fraction = fractionDigits(Math.abs(nanos));
  return `${negative ? '-' : ''}${whole}${fraction}s`;
}

function fractionDigits(nanos: number): string {
  if (nanos === 0) return '';
  const nine = String(nanos).padStart(9, '0');
  if (nine.endsWith('000000')) return `.${nine.slice(0, 3)}`;
  if (nine.endsWith('000')) return `.${nine.slice(0, 6)}`;
  return `.${nine}`;
}

/** RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits. */
export function timestampJson(seconds: string | number, nanos: number): string {
  const iso = new Date(Number(seconds) * 1000).toISOString(); // 1970-01-01T00:00:00.000Z
  return `${iso.slice(0, 19)}${fractionDigits(nanos)}Z`;
}

function camelPath(path: string): string {
  return path.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Prints encoded messages of one proto root as proto3 JSON. */
export class ProtoJsonPrinter {
  readonly #root: protobuf.Root;

  constructor(root: protobuf.Root) {
    this.#root = root;
  }

  /** An encoded `google.protobuf.Any` → `{"@type": …, …fields}`. Throws if the bytes do not decode. */
  anyToJson(anyBytes: Uint8Array): Obj {
    const anyType = this.#root.lookupType('google.protobuf.Any');
    const any = anyType.toObject(anyType.decode(anyBytes), TO_OBJECT);
    return this.#any(any, 0) as Obj;
  }

  #any(obj: Json, depth: number): Json {
    if (!isObj(obj)) return obj;
    if (typeof obj['@type'] === 'string') {
      // Already expanded by protobufjs (an Any named `type_url`): only the well-known types inside need work.
      const { '@type': typeUrl, ...fields } = obj;
      const inner = lookupMessage(this.#root, messageNameOf(typeUrl as string));
      return inner ? this.#withType(typeUrl as string, inner, this.#value(inner, fields, depth + 1)) : obj;
    }
    const typeUrl = typeof obj['typeUrl'] === 'string' ? obj['typeUrl'] : typeof obj['type_url'] === 'string' ? obj['type_url'] : '';
    const value = typeof obj['value'] === 'string' ? obj['value'] : '';
    if (typeUrl === '') return {};
    const inner = lookupMessage(this.#root, messageNameOf(typeUrl));
    if (!inner) return { '@type': typeUrl, value };
    const decoded = inner.toObject(inner.decode(Buffer.from(value, 'base64')), TO_OBJECT);
    return this.#withType(typeUrl, inner, this.#value(inner, decoded, depth + 1));
  }

  /** A message in an Any: its fields next to `@type`, or `{"@type", "value"}` when its JSON form is not an object. */
  #withType(typeUrl: string, type: protobuf.Type, json: Json): Obj {
    return SPECIAL_JSON.has(fullName(type)) || !isObj(json) ? { '@type': typeUrl, value: json } : { '@type': typeUrl, ...json };
  }

  /** toObject output of a message of `type` → proto3 JSON. */
  #value(type: protobuf.Type, obj: Json, depth: number): Json {
    if (!isObj(obj) || depth > MAX_DEPTH) return obj;
    const name = fullName(type);
    switch (name) {
      case 'google.protobuf.Any':
        return this.#any(obj, depth);
      case 'google.protobuf.Duration':
        return durationJson((obj['seconds'] as string | undefined) ?? '0', Number(obj['nanos'] ?? 0));
      case 'google.protobuf.Timestamp':
        return timestampJson((obj['seconds'] as string | undefined) ?? '0', Number(obj['nanos'] ?? 0));
      case 'google.protobuf.Struct':
        return this.#struct(obj, depth);
      case 'google.protobuf.Value':
        return this.#structValue(obj, depth);
      case 'google.protobuf.ListValue':
        return this.#list(obj, depth);
      case 'google.protobuf.FieldMask':
        return ((obj['paths'] as string[] | undefined) ?? []).map(camelPath).join(',');
      default:
        break;
    }
    if (name in WRAPPER_DEFAULTS) return obj['value'] ?? WRAPPER_DEFAULTS[name];
    const out: Obj = {};
    for (const [key, value] of Object.entries(obj)) {
      const field = type.fields[key];
      const inner = field?.resolve().resolvedType;
      if (!field || !(inner instanceof protobuf.Type)) {
        out[key] = value;
        continue;
      }
      if (field.map && isObj(value)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.#value(inner, v, depth + 1)]));
      else if (field.repeated && Array.isArray(value)) out[key] = value.map((v) => this.#value(inner, v, depth + 1));
      else out[key] = this.#value(inner, value, depth + 1);
    }
    return out;
  }

  #struct(obj: Obj, depth: number): Json {
    const fields = isObj(obj['fields']) ? obj['fields'] : {};
    return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, this.#structValue(v, depth + 1)]));
  }

  #list(obj: Obj, depth: number): Json {
    const values = Array.isArray(obj['values']) ? obj['values'] : [];
    return values.map((v) => this.#structValue(v, depth + 1));
  }

  #structValue(v: Json, depth: number): Json {
    if (!isObj(v) || depth > MAX_DEPTH) return null;
    if ('nullValue' in v) return null;
    if ('numberValue' in v) return v['numberValue'];
    if ('stringValue' in v) return v['stringValue'];
    if ('boolValue' in v) return v['boolValue'];
    if (isObj(v['structValue'])) return this.#struct(v['structValue'], depth + 1);
    if (isObj(v['listValue'])) return this.#list(v['listValue'], depth + 1);
    return null;
  }
}

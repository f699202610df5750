/**
 * @module xds/sensitive-fields
 * The one rule both redactors apply (xds/redact.ts on encoded bytes for
 * CSDS, xds/redact-json.ts on proto3 JSON for `fanout-xds get`), as Envoy's
 * config_dump applies it: a field the Envoy API marks
 * `(udpa.annotations.sensitive) = true` and everything below it is secret;
 * an `Any` is followed through its type URL, and an `Any` or `TypedStruct`
 * whose type cannot be inspected counts as able to hold a secret.
 */
import * as protobuf from 'protobufjs';
import { lookupMessage } from './proto-root';
import { messageNameOf } from './type-urls';

/** What a redacted string or bytes field holds, as in Envoy's config_dump. */
export const REDACTED = '[redacted]';
/** google.protobuf.Any's full name. */
export const ANY = 'google.protobuf.Any';
/** The field option Envoy's API uses to mark secrets. */
const SENSITIVE_OPTION = '(udpa.annotations.sensitive)';
/** Struct-carrying stand-ins for typed configs: their contents are only typed by a type URL. */
const TYPED_STRUCTS = new Set(['xds.type.v3.TypedStruct', 'udpa.type.v1.TypedStruct']);

/** A type's full name without protobufjs's leading dot. */
export function fullName(type: protobuf.Type): string {
  return type.fullName.startsWith('.') ? type.fullName.slice(1) : type.fullName;
}

/** Whether the Envoy API marks this field as secret. */
export function isSensitive(field: protobuf.Field): boolean {
  return field.options?.[SENSITIVE_OPTION] === true;
}

/** Whether `type` is a TypedStruct, whose untyped fields stand for the type its URL names. */
export function isTypedStruct(type: protobuf.Type): boolean {
  return TYPED_STRUCTS.has(fullName(type));
}

/** An Any's or TypedStruct's type URL: protobufjs's built-in Any keeps the proto name `type_url`, loaded protos and JSON use `typeUrl`. */
export function typeUrlOf(msg: Readonly<Record<string, unknown>>): string {
  const value = msg['type_url'] ?? msg['typeUrl'];
  return typeof value === 'string' ? value : '';
}

/** Which types of one proto root can hold a secret; answers are remembered per type. */
export class SensitiveTypes {
  readonly #root: protobuf.Root;
  readonly #mayHold = new Map<protobuf.Type, boolean>();

  constructor(root: protobuf.Root) {
    this.#root = root;
  }

  /** The message type a type URL names, if the root defines it. */
  typeOf(typeUrl: string): protobuf.Type | undefined {
    return typeUrl === '' ? undefined : lookupMessage(this.#root, messageNameOf(typeUrl));
  }

  /**
   * Whether a message of `type` can carry a sensitive field anywhere below it
   * (directly, in a nested message, or inside an Any or TypedStruct, which
   * can hold anything). Answered by a full walk of the reachable types.
   */
  mayHold(type: protobuf.Type): boolean {
    const known = this.#mayHold.get(type);
    if (known !== undefined) return known;
    const seen = new Set<protobuf.Type>();
    const walk = (t: protobuf.Type): boolean => {
      if (seen.has(t)) return false;
      seen.add(t);
      if (fullName(t) === ANY || isTypedStruct(t)) return true;
      for (const field of t.fieldsArray) {
        if (isSensitive(field)) return true;
        const inner = field.resolve().resolvedType;
        if (inner instanceof protobuf.Type && walk(inner)) return true;
      }
      return false;
    };
    const answer = walk(type);
    this.#mayHold.set(type, answer);
    return answer;
  }
}

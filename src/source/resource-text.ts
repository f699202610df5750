/**
 * @module source/resource-text
 * One resource stored on its own (an etcd key's value): proto3 JSON or YAML
 * of a single resource with its `"@type"`, the same text a config file's
 * `resources:` entry holds. Parsed inside the encode workers, like config
 * files, so a large snapshot never blocks the event loop. The key already
 * says the type and the name, so the value must agree with it: a key whose
 * value describes another resource would make the layout lie to anyone
 * reading it with `etcdctl`.
 */
import { parseDocument } from 'yaml';
import { TYPE_URL_PREFIX } from '../xds/type-urls';
import { resourceTypeOf } from '../xds/resource-types';
import type { ConfigProblem, RawResource } from './raw-resource';

/** A resource's stored text and what its key says about it. */
export interface ResourceText {
  /** Where it is stored (the etcd key): every problem names it. */
  readonly file: string;
  readonly text: string;
  /** Node group from the key (DEFAULT_GROUP for every node). */
  readonly group: string;
  /** Type URL from the key. */
  readonly typeUrl: string;
  /** Resource name from the key. */
  readonly name: string;
}

/** What one stored text yields: the resource, or the problems that keep it out. */
export interface ParsedResourceText {
  readonly resource?: RawResource;
  readonly problems: ConfigProblem[];
}

/** `location` of a stored resource in problems: the key is the file, its value the resource. */
export const VALUE_LOCATION = 'value';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse JSON (fast path, its own messages) or else YAML; undefined plus a problem when neither parses. */
export function parseValueText(text: string, file: string, problems: ConfigProblem[]): unknown {
  const trimmed = text.trimStart();
  let jsonError: string | undefined;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      // `{a: b}` is YAML flow style, not JSON: give YAML its chance before reporting.
      jsonError = (err as Error).message;
    }
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]?.message.split('\n')[0] ?? 'unknown error';
    problems.push({ file, message: jsonError !== undefined ? `invalid JSON: ${jsonError}` : `syntax error: ${first}` });
    return undefined;
  }
  return doc.toJS({ maxAliasCount: 1000 }) as unknown;
}

/** Parse one stored resource and check it is the resource its key names. */
export function parseResourceText(input: ResourceText): ParsedResourceText {
  const { file } = input;
  const problems: ConfigProblem[] = [];
  const value = parseValueText(input.text, file, problems);
  if (problems.length > 0) return { problems };
  if (!isObject(value)) {
    problems.push({ file, resource: VALUE_LOCATION, message: 'expected one resource: a mapping with "@type", as in a config file\'s resources list' });
    return { problems };
  }
  const type = value['@type'];
  if (typeof type !== 'string' || type === '') {
    problems.push({ file, resource: VALUE_LOCATION, field: '@type', message: `every resource needs "@type"; this key holds a ${input.typeUrl.slice(TYPE_URL_PREFIX.length)}` });
    return { problems };
  }
  const typeUrl = type.includes('/') ? type : TYPE_URL_PREFIX + type;
  if (typeUrl !== input.typeUrl) {
    problems.push({ file, resource: VALUE_LOCATION, field: '@type', message: `"@type" is ${typeUrl} but the key says ${input.typeUrl}; move the value to the key of its type` });
    return { problems };
  }
  const body: Record<string, unknown> = {};
  for (const k of Object.keys(value)) if (k !== '@type') body[k] = value[k];
  const nameField = resourceTypeOf(typeUrl).nameField;
  const name = body[nameField] ?? body[nameField.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())];
  // A missing name is reported by the encoder, as for files; a different one is a key/value mismatch.
  if (typeof name === 'string' && name !== '' && name !== input.name) {
    problems.push({ file, resource: VALUE_LOCATION, field: nameField, message: `"${nameField}" is "${name}" but the key names "${input.name}"; a resource's key ends with its name` });
    return { problems };
  }
  return { resource: { typeUrl, body, file, location: VALUE_LOCATION, group: input.group }, problems };
}

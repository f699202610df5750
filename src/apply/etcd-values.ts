/**
 * @module apply/etcd-values
 * What `apply` finds under the configuration prefixes, read back into the
 * server's own terms: a resource key's value becomes a RawResource (labelled
 * with its key, so a problem names it), a group key's value a NodeGroupSpec
 * with its order. Writing goes the other way: resources are the encoder's
 * canonical JSON (`EncodedResource.source`), groups `{match, order}` with
 * sorted keys.
 *
 * Anything that does not read back is kept as an `invalid` entry with its
 * problem: `apply` overwrites it when the files define that key, and
 * refuses to leave it behind otherwise (a replica would reject that state).
 */
import { parse as parseYaml } from 'yaml';
import { canonicalJson } from '../encode';
import { TYPE_URL_PREFIX } from '../xds/type-urls';
import { nameFieldOf } from '../xds/resource-types';
import { parseGroupKey, parseResourceKey } from '../source/etcd-keys';
import type { EtcdLayout, ResourceKey } from '../source/etcd-keys';
import type { ConfigProblem, NodeGroupSpec, NodeMatch, RawResource } from '../source';

/** One key under `resources/` or `groups/`, read back. */
export type EtcdEntry =
  | { readonly kind: 'resource'; readonly key: string; readonly id: ResourceKey; readonly raw: RawResource }
  | { readonly kind: 'group'; readonly key: string; readonly spec: NodeGroupSpec; readonly order: number; readonly value: string }
  | { readonly kind: 'invalid'; readonly key: string; readonly problem: ConfigProblem; readonly id?: ResourceKey; readonly group?: string }
  | { readonly kind: 'unknown'; readonly key: string };

/** Location label of a value in problems: the key is the "file". */
const VALUE_LOCATION = 'value';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Values are JSON as written by apply; YAML (a superset) is accepted for hand-written keys. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parseYaml(text);
  }
}

/** Read one key and its value. */
export function readEtcdEntry(layout: EtcdLayout, key: string, value: Buffer): EtcdEntry {
  if (key.startsWith(layout.resources)) return readResource(layout, key, value);
  if (key.startsWith(layout.groups)) return readGroup(layout, key, value);
  return { kind: 'unknown', key };
}

function readResource(layout: EtcdLayout, key: string, value: Buffer): EtcdEntry {
  const id = parseResourceKey(layout, key);
  if (!id) return { kind: 'unknown', key };
  const invalid = (message: string, field?: string): EtcdEntry => ({ kind: 'invalid', key, id, problem: { file: key, resource: VALUE_LOCATION, field, message } });
  let parsed: unknown;
  try {
    parsed = parseValue(value.toString('utf8'));
  } catch (err) {
    return invalid(`not JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(parsed)) return invalid('expected a resource object with "@type"');
  const type = parsed['@type'];
  if (typeof type !== 'string' || type === '') return invalid('every resource needs "@type"', '@type');
  const typeUrl = type.includes('/') ? type : TYPE_URL_PREFIX + type;
  if (typeUrl !== id.typeUrl) return invalid(`"@type" is ${typeUrl} but the key says ${id.typeUrl}`, '@type');
  const body: Record<string, unknown> = {};
  for (const k of Object.keys(parsed)) if (k !== '@type') body[k] = parsed[k];
  const nameField = nameFieldOf(typeUrl);
  const name = body[nameField] ?? body[nameField.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())];
  if (name !== id.name) return invalid(`the resource is named ${JSON.stringify(name)} but the key says "${id.name}"`, nameField);
  return { kind: 'resource', key, id, raw: { typeUrl, body, file: key, location: VALUE_LOCATION, group: id.group } };
}

function readGroup(layout: EtcdLayout, key: string, value: Buffer): EtcdEntry {
  const name = parseGroupKey(layout, key);
  if (name === undefined) return { kind: 'unknown', key };
  const invalid = (message: string, field?: string): EtcdEntry => ({ kind: 'invalid', key, group: name, problem: { file: key, resource: VALUE_LOCATION, field, message } });
  let parsed: unknown;
  try {
    parsed = parseValue(value.toString('utf8'));
  } catch (err) {
    return invalid(`not JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(parsed) || !isObject(parsed['match'])) return invalid('expected { "match": { "id"?, "cluster"?, "metadata"? }, "order": N }', 'match');
  const unknown = Object.keys(parsed).find((k) => k !== 'match' && k !== 'order');
  if (unknown !== undefined) return invalid(`unknown field "${unknown}"; a node group has "match" and optionally "order"`, unknown);
  const order = parsed['order'] ?? 0;
  if (typeof order !== 'number' || !Number.isSafeInteger(order)) return invalid('expected an integer', 'order');
  const match: { id?: string; cluster?: string; metadata?: Record<string, string> } = {};
  for (const field of ['id', 'cluster'] as const) {
    const v = parsed['match'][field];
    if (v === undefined) continue;
    if (typeof v !== 'string') return invalid('expected a regular expression string', `match.${field}`);
    try {
      new RegExp(v);
    } catch (err) {
      return invalid(`invalid regular expression: ${(err as Error).message}`, `match.${field}`);
    }
    match[field] = v;
  }
  const md = parsed['match']['metadata'];
  if (md !== undefined) {
    if (!isObject(md) || !Object.values(md).every((v) => typeof v === 'string')) return invalid('expected a mapping of string keys to string values', 'match.metadata');
    match.metadata = md as Record<string, string>;
  }
  return { kind: 'group', key, spec: { name, match }, order, value: groupValue(match, order) };
}

/** The value stored for a node group: `{"match":…,"order":N}`, keys sorted. */
export function groupValue(match: NodeMatch, order: number): string {
  return canonicalJson({ match, order });
}

/** Groups in matching order: by `order`, then by name (a tie only happens when several applies without --prune defined groups). */
export function orderedGroups(groups: Iterable<{ readonly spec: NodeGroupSpec; readonly order: number }>): NodeGroupSpec[] {
  return [...groups].sort((a, b) => a.order - b.order || (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0)).map((g) => g.spec);
}

/**
 * @module source/etcd-config
 * The configuration held in etcd at one revision: every key under the
 * prefix (see ./etcd-keys) → resources to encode, node groups, and the
 * problems that reject the revision. Pure and deterministic: the same keys
 * give the same result, in the same order, on every replica, so a bad
 * revision is rejected identically everywhere.
 *
 * A group's value is `{ match: { id, cluster, metadata }, order }`. Groups
 * are tried by ascending `order` (an integer, default 0), then by name; the
 * first whose match accepts a node wins, as `node_groups` in a file are tried
 * in list order.
 */
import { DEFAULT_GROUP } from './raw-resource';
import type { ConfigProblem, NodeGroupSpec } from './raw-resource';
import { readMatch } from './parse';
import { parseValueText, VALUE_LOCATION } from './resource-text';
import type { ResourceText } from './resource-text';
import { configRange, DEFAULT_GROUP_SEGMENT, parseGroupKey, parseResourceKey } from './etcd-keys';
import type { EtcdLayout } from './etcd-keys';

/** The configuration one etcd revision holds. */
export interface EtcdConfig {
  /** Resource values to parse and encode (in the workers), sorted by key. */
  readonly resources: ResourceText[];
  /** Node groups in match order. */
  readonly groups: NodeGroupSpec[];
  /** Problems found without encoding (malformed keys, bad group values, undefined groups). */
  readonly problems: ConfigProblem[];
}

/** Whether `key` is in the range replicas read (./etcd-keys configRange): under the prefix, sorting before `status/`. */
export function isConfigKey(layout: EtcdLayout, key: string): boolean {
  const range = configRange(layout);
  return key.startsWith(range.start) && key < range.end;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Read the configuration from a key → value map (only config keys need be in it; others are skipped). */
export function etcdConfigOf(layout: EtcdLayout, kvs: ReadonlyMap<string, string>): EtcdConfig {
  const resources: ResourceText[] = [];
  const problems: ConfigProblem[] = [];
  const ordered: { spec: NodeGroupSpec; order: number }[] = [];
  for (const key of [...kvs.keys()].sort()) {
    if (!isConfigKey(layout, key)) continue;
    const text = kvs.get(key) as string;
    const rk = parseResourceKey(layout, key);
    if (rk) {
      resources.push({ file: key, text, ...rk });
      continue;
    }
    const group = parseGroupKey(layout, key);
    if (group !== undefined) {
      const g = readGroupValue(key, text, group, problems);
      if (g) ordered.push(g);
      continue;
    }
    problems.push({
      file: key,
      message: `not a configuration key: expected ${layout.resources}<group>/<message name>/<resource name> or ${layout.groups}<group> (group "${DEFAULT_GROUP_SEGMENT}" is every node's and has no group key); status belongs under ${layout.status}`,
    });
  }
  // Sort is stable and the keys were sorted by name: equal orders fall back to the name.
  ordered.sort((a, b) => a.order - b.order);
  const groups = ordered.map((g) => g.spec);
  const defined = new Set([DEFAULT_GROUP, ...groups.map((g) => g.name)]);
  const missing = new Set<string>();
  for (const r of resources) {
    if (defined.has(r.group) || missing.has(r.group)) continue;
    missing.add(r.group);
    problems.push({ file: r.file, message: `node group "${r.group}" is not defined: write its match rule to ${layout.groups}${r.group}` });
  }
  return { resources, groups, problems };
}

/** One group's value: `{ match, order }`; undefined, with problems added, when it is not one. Also what `apply` reads back. */
export function readGroupValue(key: string, text: string, name: string, problems: ConfigProblem[]): { spec: NodeGroupSpec; order: number } | undefined {
  const before = problems.length;
  const value = parseValueText(text, key, problems);
  if (problems.length > before) return undefined;
  if (!isObject(value)) {
    problems.push({ file: key, resource: VALUE_LOCATION, message: 'a node group is a mapping: { match: { id, cluster, metadata }, order }' });
    return undefined;
  }
  for (const k of Object.keys(value)) {
    if (k !== 'match' && k !== 'order')
      problems.push({ file: key, resource: VALUE_LOCATION, field: k, message: `unknown field "${k}"; a node group has "match" and optionally "order" (its resources are keys of their own)` });
  }
  const order = value['order'] ?? 0;
  if (typeof order !== 'number' || !Number.isSafeInteger(order)) {
    problems.push({ file: key, resource: VALUE_LOCATION, field: 'order', message: 'expected an integer: groups are tried by ascending order, then by name' });
    return undefined;
  }
  const match = readMatch(value['match'], key, VALUE_LOCATION, problems);
  if (!match || problems.length > before) return undefined;
  return { spec: { name, match }, order };
}

/**
 * @module source/etcd-keys
 * The etcd key layout, shared by the etcd source (readers) and `fanout-xds
 * apply` (writers), so both sides agree on one scheme a user can also read
 * with `etcdctl get --prefix`:
 *
 *   <prefix>resources/<group>/<message name>/<resource name>   one resource: proto3 JSON or YAML with "@type"
 *   <prefix>groups/<group>                                       a node group: { match: {id, cluster, metadata}, order }
 *   <prefix>status/replicas/<replica>                            a replica's status, under a lease (not configuration)
 *   <prefix>status/last-apply                                    written in every apply's transaction (not configuration):
 *                                                                its mod_revision lets the next apply see a concurrent delete
 *
 * `<group>` is `default` for resources every node receives. Resource names
 * may contain `/` (VHDS `route/domain`, `xdstp://` names): they are the rest
 * of the key after the message name, never split further. Only `resources/`
 * and `groups/` are configuration, so `apply --prune` never touches status.
 *
 * Replicas read and watch one key range, `[<prefix>, <prefix>status/)`
 * (configRange): it holds `groups/` and `resources/` (and any key that
 * sorts before `status/`, so a typo such as `resource/` is still seen and
 * rejected), never `status/`. Every replica rewrites its status key, and a
 * watch over the whole prefix would wake every other replica for each of
 * those writes. etcd watches one contiguous range per watcher, and two
 * watchers cannot keep a transaction's revision whole, so keys that sort
 * after `status/` are outside what the replicas read.
 */
import { TYPE_URL_PREFIX } from '../xds/type-urls';
import { DEFAULT_GROUP } from './raw-resource';

/** Group segment for resources served to every node (the config file's top-level `resources`). */
export const DEFAULT_GROUP_SEGMENT = 'default';

/** The default key prefix (`--etcd-prefix`). */
export const DEFAULT_ETCD_PREFIX = '/fanout-xds/';

/** Key prefixes derived from one `--etcd-prefix`. */
export interface EtcdLayout {
  readonly prefix: string;
  readonly resources: string;
  readonly groups: string;
  readonly status: string;
  /** `<prefix>status/replicas/`: one key per live replica, under its lease. */
  readonly replicas: string;
  /**
   * Written by every `apply`/`delete` transaction, with what it did. A
   * mod_revision compare on a key range cannot see a key deleted from that
   * range; a compare on this key can, so two writers never lose an update.
   */
  readonly lastApply: string;
}

/** The layout under `prefix` (a trailing `/` is added when missing). */
export function etcdLayout(prefix: string = DEFAULT_ETCD_PREFIX): EtcdLayout {
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return { prefix: p, resources: `${p}resources/`, groups: `${p}groups/`, status: `${p}status/`, replicas: `${p}status/replicas/`, lastApply: `${p}status/last-apply` };
}

/** The key range replicas read and watch: `[start, end)`, configuration only (see the module comment). */
export function configRange(layout: EtcdLayout): { readonly start: string; readonly end: string } {
  return { start: layout.prefix, end: layout.status };
}

/** Where a resource lives. */
export interface ResourceKey {
  /** Node group (DEFAULT_GROUP for every node). */
  readonly group: string;
  /** `type.googleapis.com/<message name>`. */
  readonly typeUrl: string;
  readonly name: string;
}

/** The key of one resource. */
export function resourceKey(layout: EtcdLayout, key: ResourceKey): string {
  const group = key.group === DEFAULT_GROUP ? DEFAULT_GROUP_SEGMENT : key.group;
  return `${layout.resources}${group}/${key.typeUrl.slice(TYPE_URL_PREFIX.length)}/${key.name}`;
}

/** Parse a key under `layout.resources`; undefined when it is not a well-formed resource key. */
export function parseResourceKey(layout: EtcdLayout, key: string): ResourceKey | undefined {
  if (!key.startsWith(layout.resources)) return undefined;
  const rest = key.slice(layout.resources.length);
  const groupEnd = rest.indexOf('/');
  const typeEnd = groupEnd < 0 ? -1 : rest.indexOf('/', groupEnd + 1);
  if (groupEnd <= 0 || typeEnd <= groupEnd + 1 || typeEnd === rest.length - 1) return undefined;
  const group = rest.slice(0, groupEnd);
  return {
    group: group === DEFAULT_GROUP_SEGMENT ? DEFAULT_GROUP : group,
    typeUrl: TYPE_URL_PREFIX + rest.slice(groupEnd + 1, typeEnd),
    name: rest.slice(typeEnd + 1),
  };
}

/** The key of a node group's match rule. */
export function groupKey(layout: EtcdLayout, group: string): string {
  return `${layout.groups}${group}`;
}

/** The group named by a key under `layout.groups`; undefined when malformed. */
export function parseGroupKey(layout: EtcdLayout, key: string): string | undefined {
  if (!key.startsWith(layout.groups)) return undefined;
  const name = key.slice(layout.groups.length);
  return name === '' || name.includes('/') || name === DEFAULT_GROUP_SEGMENT ? undefined : name;
}

/**
 * @module apply/current-state
 * What etcd holds under the configuration prefixes at one revision, in the
 * terms an apply diffs and validates with: every key's identity (a
 * resource's content hash from the encoder, a group's canonical value; none
 * for a value that does not read back), the valid resources and groups, and
 * the problems of the keys that are not.
 */
import type { Etcd3 } from 'etcd3';
import { DEFAULT_GROUP } from '../source';
import type { ConfigProblem, NodeGroupSpec, RawResource } from '../source';
import type { EncodedResource, EncodePool } from '../encode';
import type { EtcdLayout } from '../source/etcd-keys';
import { readSnapshot } from './etcd-kv';
import type { Snapshot } from './etcd-kv';
import { readEtcdEntry } from './etcd-values';
import type { CurrentKey, KeyChange } from './plan';

/** A resource in the wanted state, with its key and value. */
export interface WantedResource {
  readonly encoded: EncodedResource;
  readonly key: string;
  readonly value: string;
}

/** A group in the wanted state. */
export interface WantedGroup {
  readonly spec: NodeGroupSpec;
  readonly order: number;
  readonly key: string;
}

/** The current state: every key's identity, the valid resources (encoded) and groups, and the problems of keys that do not read back. */
export interface CurrentState {
  readonly snapshot: Snapshot;
  readonly keys: Map<string, CurrentKey>;
  readonly resources: Map<string, WantedResource>;
  readonly groups: Map<string, WantedGroup>;
  readonly invalid: Map<string, ConfigProblem[]>;
}

/** Read etcd at one revision and encode its resources (for their content hashes and for validating the state that stays). */
export async function readCurrentState(client: Etcd3, layout: EtcdLayout, endpoints: readonly string[], pool: EncodePool): Promise<CurrentState> {
  const snapshot = await readSnapshot(client, layout, endpoints);
  const keys = new Map<string, CurrentKey>();
  const groups = new Map<string, WantedGroup>();
  const invalid = new Map<string, ConfigProblem[]>();
  const raws: RawResource[] = [];
  for (const [key, value] of snapshot.kvs) {
    const entry = readEtcdEntry(layout, key, value);
    if (entry.kind === 'resource') raws.push(entry.raw);
    else if (entry.kind === 'group') {
      groups.set(key, { spec: entry.spec, order: entry.order, key });
      keys.set(key, { identity: entry.value, change: { key, kind: 'group', name: entry.spec.name, group: entry.spec.name } });
    } else if (entry.kind === 'invalid') {
      invalid.set(key, [...entry.problems]);
      const change: KeyChange = entry.id
        ? { key, kind: 'resource', typeUrl: entry.id.typeUrl, name: entry.id.name, group: entry.id.group }
        : { key, kind: 'group', name: entry.group ?? key, group: entry.group ?? key };
      keys.set(key, { identity: undefined, change });
    } else {
      // Replicas read every key under the prefix but status/ as configuration, and reject a revision holding a key they do not understand.
      invalid.set(key, [
        { file: key, message: `not a configuration key: expected ${layout.resources}<group>/<message name>/<resource name> or ${layout.groups}<group>; remove it (apply --prune does)` },
      ]);
      keys.set(key, { identity: undefined, change: { key, kind: 'other', name: key, group: DEFAULT_GROUP } });
    }
  }
  const outcome = raws.length > 0 ? await pool.encodeResources(raws) : { resources: [], problems: [] };
  for (const p of outcome.problems) invalid.set(p.file, [...(invalid.get(p.file) ?? []), p]);
  const resources = new Map<string, WantedResource>();
  for (const r of outcome.resources) {
    if (invalid.has(r.file)) continue;
    resources.set(r.file, { encoded: r, key: r.file, value: snapshot.kvs.get(r.file)?.toString('utf8') ?? '' });
    keys.set(r.file, { identity: r.version, change: resourceChange(r.file, r) });
  }
  for (const raw of raws) {
    if (!keys.has(raw.file))
      keys.set(raw.file, { identity: undefined, change: { key: raw.file, kind: 'resource', typeUrl: raw.typeUrl, name: String(raw.body['name'] ?? raw.file), group: raw.group } });
  }
  return { snapshot, keys, resources, groups, invalid };
}

/** The change record of a resource key. */
export function resourceChange(key: string, r: { readonly typeUrl: string; readonly name: string; readonly group: string }): KeyChange {
  return { key, kind: 'resource', typeUrl: r.typeUrl, name: r.name, group: r.group };
}

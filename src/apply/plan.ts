/**
 * @module apply/plan
 * The difference between what etcd holds and what an apply wants, key by
 * key. Resources compare by content hash (the encoder's version), so a
 * reformatted or reordered file rewrites nothing; node groups compare by
 * their canonical value. The plan lists what is added, changed and removed
 * (by type and name) and the puts and deletes of the one transaction.
 */
import { DEFAULT_GROUP } from '../source';
import { typeLabel } from '../xds/resource-types';
import type { TxnOp } from './txn-limits';

/** One key in a plan, described for people and programs. */
export interface KeyChange {
  readonly key: string;
  /** `resource`, `group` (a node group's match rule), or `other` (a key under the prefixes that is neither, removed by --prune). */
  readonly kind: 'resource' | 'group' | 'other';
  /** Resource type URL (resources only). */
  readonly typeUrl?: string;
  /** Resource name, group name, or the key itself for `other`. */
  readonly name: string;
  /** Node group of a resource: '' for every node's. */
  readonly group: string;
}

/** A key as etcd holds it. `identity` is undefined when the value does not read back (it is then always rewritten). */
export interface CurrentKey {
  readonly identity: string | undefined;
  readonly change: KeyChange;
}

/** A key as the apply wants it: `identity` is the content hash (resources) or the value (groups). */
export interface DesiredKey {
  readonly identity: string;
  readonly value: string;
  readonly change: KeyChange;
}

/** The difference and the operations that make it. */
export interface Plan {
  readonly added: readonly KeyChange[];
  readonly changed: readonly KeyChange[];
  readonly removed: readonly KeyChange[];
  readonly unchanged: number;
  /** Puts then deletes, each in key order. */
  readonly ops: readonly TxnOp[];
}

function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Every desired key is written unless identical; every key in `remove` that exists is deleted. */
export function planChanges(current: ReadonlyMap<string, CurrentKey>, desired: ReadonlyMap<string, DesiredKey>, remove: Iterable<string>): Plan {
  const added: KeyChange[] = [];
  const changed: KeyChange[] = [];
  const removed: KeyChange[] = [];
  const puts: TxnOp[] = [];
  let unchanged = 0;
  for (const [key, want] of desired) {
    const have = current.get(key);
    if (have !== undefined && have.identity === want.identity) {
      unchanged++;
      continue;
    }
    (have === undefined ? added : changed).push(want.change);
    puts.push({ put: 'put', key, value: want.value });
  }
  const deletes: TxnOp[] = [];
  for (const key of new Set(remove)) {
    const have = current.get(key);
    if (have === undefined || desired.has(key)) continue;
    removed.push(have.change);
    deletes.push({ delete: true, key });
  }
  for (const list of [added, changed, removed]) list.sort(byKey);
  return { added, changed, removed, unchanged, ops: [...puts.sort(byKey), ...deletes.sort(byKey)] };
}

/** One line per change: `+ Cluster backend`, `~ ClusterLoadAssignment backend [group canary]`, `- group canary`. */
export function describeChange(mark: '+' | '~' | '-', change: KeyChange): string {
  const where = change.group !== DEFAULT_GROUP ? ` [group ${change.group}]` : '';
  if (change.kind === 'group') return `${mark} group ${change.name}`;
  if (change.kind === 'other') return `${mark} key ${change.key} (not a resource or group key)`;
  return `${mark} ${typeLabel(change.typeUrl ?? '')} ${change.name}${where}`;
}

/** The plan as lines: removals, changes, additions, each by type and name. */
export function describePlan(plan: Pick<Plan, 'added' | 'changed' | 'removed'>): string[] {
  const order = (c: KeyChange): string => `${c.kind === 'group' ? '0' : '1'}${typeLabel(c.typeUrl ?? '')}\u0000${c.group}\u0000${c.name}`;
  const sorted = (list: readonly KeyChange[]): KeyChange[] => [...list].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return [...sorted(plan.added).map((c) => describeChange('+', c)), ...sorted(plan.changed).map((c) => describeChange('~', c)), ...sorted(plan.removed).map((c) => describeChange('-', c))];
}

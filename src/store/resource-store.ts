/**
 * @module store/resource-store
 * Box ③: group → type URL → name → encoded resource, applied in batches that
 * are all or nothing. A rejected batch changes nothing, so the last good
 * configuration keeps being served.
 *
 * Every per-type map is immutable once committed (copy-on-write), so a map's
 * identity stands for its content: response caches key on it, and a stream
 * that reads a view never sees a half-applied batch.
 */
import { DEFAULT_GROUP } from '../source/raw-resource';
import type { ConfigProblem, NodeGroupSpec } from '../source/raw-resource';
import type { EncodedResource } from '../encode';
import { typeLabel } from '../xds/resource-types';
import { bareExcerpt, nameExcerpt, NAME_MAX_CHARS } from '../observe/excerpt';
import type { ChangeSet, TypeChange } from './change-set';
import { NodeGroups } from './node-groups';
import type { NodeIdentity } from './node-groups';

/** name → resource for one type, as one group sees it. Never mutated after commit. */
export type TypeView = ReadonlyMap<string, EncodedResource>;
type Layer = Map<string, TypeView>;

const EMPTY_VIEW: TypeView = new Map();

/** Outcome of a commit. */
export type CommitResult = { readonly ok: true; readonly changes: ChangeSet; readonly warnings: readonly ConfigProblem[] } | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** Options for a commit. */
export interface CommitOptions {
  /** Serve resources whose references dangle, returning warnings instead of problems. */
  readonly allowDanglingReferences?: boolean;
}

/** A removal request. */
export interface RemovalKey {
  readonly typeUrl: string;
  readonly name: string;
  readonly group: string;
}

/** The resource store. */
export class ResourceStore {
  /** What was written, per group (the default group is every node's base). */
  #layers = new Map<string, Layer>([[DEFAULT_GROUP, new Map()]]);
  /** What each group sees: its own layer over the default one. */
  #views = new Map<string, Layer>([[DEFAULT_GROUP, new Map()]]);
  #groups = new NodeGroups([]);
  #revision = 0;

  /** Revision of the last committed batch (0 before any). */
  get revision(): number {
    return this.#revision;
  }

  /** The group specs in force. */
  get groupSpecs(): readonly NodeGroupSpec[] {
    return this.#groups.specs;
  }

  /** The group a node belongs to. */
  groupOf(node: NodeIdentity): string {
    return this.#groups.groupOf(node);
  }

  /** The resources of one type a group sees. */
  view(group: string, typeUrl: string): TypeView {
    const layer = this.#views.get(group) ?? this.#views.get(DEFAULT_GROUP);
    return layer?.get(typeUrl) ?? EMPTY_VIEW;
  }

  /** Every type URL with at least one resource in some group. */
  typeUrls(): string[] {
    const out = new Set<string>();
    for (const layer of this.#views.values()) for (const [t, m] of layer) if (m.size > 0) out.add(t);
    return [...out];
  }

  /** Resource counts per type across all layers. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const layer of this.#layers.values()) for (const [t, m] of layer) out[t] = (out[t] ?? 0) + m.size;
    return out;
  }

  /** Every stored resource (for config dumps). */
  *allResources(): Iterable<EncodedResource> {
    for (const layer of this.#layers.values()) for (const m of layer.values()) yield* m.values();
  }

  /**
   * Replace everything with `resources` and `groups` (a config reload: the
   * file is the whole truth).
   */
  replaceAll(resources: readonly EncodedResource[], groups: readonly NodeGroupSpec[], options: CommitOptions = {}): CommitResult {
    const problems: ConfigProblem[] = [];
    const specs = uniqueGroups(groups, problems);
    const known = new Set([DEFAULT_GROUP, ...specs.map((g) => g.name)]);
    const building = new Map<string, Map<string, Map<string, EncodedResource>>>();
    for (const name of known) building.set(name, new Map());
    for (const r of resources) {
      const layer = building.get(r.group);
      if (!layer) {
        problems.push({ file: r.file, resource: r.location, message: `node group ${nameExcerpt(r.group)} is not defined; add it under node_groups with a match` });
        continue;
      }
      let byName = layer.get(r.typeUrl);
      if (!byName) layer.set(r.typeUrl, (byName = new Map()));
      const previous = byName.get(r.name);
      if (previous) {
        problems.push({
          file: r.file,
          resource: `${r.location} (${bareExcerpt(r.name, NAME_MAX_CHARS)})`,
          message: `duplicate name: ${typeLabel(r.typeUrl)} ${nameExcerpt(r.name)} is also defined at ${previous.file}: ${previous.location}`,
        });
        continue;
      }
      byName.set(r.name, r);
    }
    if (problems.length > 0) return { ok: false, problems };
    return this.#commit(building as Map<string, Layer>, new NodeGroups(specs), 'all', options);
  }

  /** Add or replace `upserts` and delete `removals`, as one batch. */
  update(upserts: readonly EncodedResource[], removals: readonly RemovalKey[], options: CommitOptions = {}): CommitResult {
    const problems: ConfigProblem[] = [];
    const next = new Map<string, Layer>();
    for (const [g, layer] of this.#layers) next.set(g, new Map(layer));
    const copied = new Map<string, Map<string, EncodedResource>>();
    const touched = new Set<string>();
    const writable = (group: string, typeUrl: string): Map<string, EncodedResource> | undefined => {
      const layer = next.get(group);
      if (!layer) return undefined;
      const key = touchKey(group, typeUrl);
      let m = copied.get(key);
      if (!m) {
        m = new Map(layer.get(typeUrl) ?? EMPTY_VIEW);
        copied.set(key, m);
        layer.set(typeUrl, m);
      }
      touched.add(key);
      return m;
    };
    const seen = new Set<string>();
    for (const r of upserts) {
      const m = writable(r.group, r.typeUrl);
      if (!m) {
        problems.push({ file: r.file, resource: r.location, message: `node group ${nameExcerpt(r.group)} is not defined` });
        continue;
      }
      const id = `${touchKey(r.group, r.typeUrl)}\u0000${r.name}`;
      if (seen.has(id)) {
        problems.push({
          file: r.file,
          resource: `${r.location} (${bareExcerpt(r.name, NAME_MAX_CHARS)})`,
          message: `duplicate name: ${typeLabel(r.typeUrl)} ${nameExcerpt(r.name)} appears twice in one batch`,
        });
        continue;
      }
      seen.add(id);
      m.set(r.name, r);
    }
    for (const k of removals) writable(k.group, k.typeUrl)?.delete(k.name);
    if (problems.length > 0) return { ok: false, problems };
    return this.#commit(next, this.#groups, touched, options);
  }

  #commit(layers: Map<string, Layer>, groups: NodeGroups, touched: Set<string> | 'all', options: CommitOptions): CommitResult {
    const views = new Map<string, Layer>();
    const defaultLayer = layers.get(DEFAULT_GROUP) ?? new Map<string, TypeView>();
    const defaultTouched = (t: string): boolean => touched === 'all' || touched.has(touchKey(DEFAULT_GROUP, t));
    for (const group of groups.names()) {
      const own = layers.get(group) ?? new Map<string, TypeView>();
      const oldView = this.#views.get(group);
      const view: Layer = new Map();
      const types = new Set([...defaultLayer.keys(), ...(group === DEFAULT_GROUP ? [] : own.keys())]);
      for (const t of types) {
        const groupTouched = touched === 'all' || defaultTouched(t) || touched.has(touchKey(group, t));
        if (!groupTouched && oldView?.has(t)) {
          view.set(t, oldView.get(t) as TypeView);
          continue;
        }
        view.set(t, group === DEFAULT_GROUP ? (defaultLayer.get(t) ?? EMPTY_VIEW) : overlay(defaultLayer.get(t), own.get(t)));
      }
      views.set(group, view);
    }

    const problems: ConfigProblem[] = [];
    const warnings: ConfigProblem[] = [];
    const reported = new Set<EncodedResource>();
    for (const [group, view] of views) {
      for (const typeView of view.values()) {
        for (const r of typeView.values()) {
          if (r.refs.length === 0 || reported.has(r)) continue;
          for (const ref of r.refs) {
            if (view.get(ref.typeUrl)?.has(ref.name)) continue;
            reported.add(r);
            const forGroup = group === DEFAULT_GROUP ? '' : ` for nodes in group ${nameExcerpt(group)}`;
            const from = ref.context !== undefined ? ` (named by ${ref.context})` : '';
            const problem: ConfigProblem = {
              file: r.file,
              resource: `${r.location} (${bareExcerpt(r.name, NAME_MAX_CHARS)})`,
              field: ref.field,
              message: `dangling reference: ${typeLabel(ref.typeUrl)} ${nameExcerpt(ref.name)} does not exist${from}${forGroup}; define it, or pass --allow-dangling-references`,
            };
            (options.allowDanglingReferences ? warnings : problems).push(problem);
          }
        }
      }
    }
    if (problems.length > 0) return { ok: false, problems };

    const byGroup = new Map<string, Map<string, TypeChange>>();
    for (const [group, view] of views) {
      const old = this.#views.get(group) ?? new Map<string, TypeView>();
      const changes = new Map<string, TypeChange>();
      for (const t of new Set([...old.keys(), ...view.keys()])) {
        const before = old.get(t);
        const change = diff(before ?? EMPTY_VIEW, view.get(t) ?? EMPTY_VIEW);
        if (change) changes.set(t, change);
        // Same content: keep the old map, whose identity caches (shared bodies, versions, client baselines) key on.
        else if (before && view.has(t)) view.set(t, before);
      }
      if (changes.size > 0) byGroup.set(group, changes);
    }
    this.#layers = layers;
    this.#views = views;
    this.#groups = groups;
    this.#revision++;
    return { ok: true, changes: { revision: this.#revision, byGroup }, warnings };
  }
}

function touchKey(group: string, typeUrl: string): string {
  return `${group}\u0000${typeUrl}`;
}

function overlay(base: TypeView | undefined, own: TypeView | undefined): TypeView {
  if (!own || own.size === 0) return base ?? EMPTY_VIEW;
  if (!base || base.size === 0) return own;
  const merged = new Map(base);
  for (const [name, r] of own) merged.set(name, r);
  return merged;
}

function diff(before: TypeView, after: TypeView): TypeChange | undefined {
  if (before === after) return undefined;
  const updated: string[] = [];
  const removed: string[] = [];
  for (const [name, r] of after) if (before.get(name)?.version !== r.version) updated.push(name);
  for (const name of before.keys()) if (!after.has(name)) removed.push(name);
  return updated.length === 0 && removed.length === 0 ? undefined : { updated, removed };
}

function uniqueGroups(groups: readonly NodeGroupSpec[], problems: ConfigProblem[]): NodeGroupSpec[] {
  const byName = new Map<string, NodeGroupSpec>();
  for (const g of groups) {
    const prev = byName.get(g.name);
    if (prev && JSON.stringify(prev.match) !== JSON.stringify(g.match)) {
      problems.push({ file: '(node_groups)', resource: bareExcerpt(g.name, NAME_MAX_CHARS), field: 'match', message: `node group ${nameExcerpt(g.name)} is defined twice with different matchers` });
    }
    if (!prev) byName.set(g.name, g);
  }
  return [...byName.values()];
}

/**
 * @module apply/etcd-writer
 * The write path to etcd, shared by `fanout-xds apply|delete` and library
 * users (controllers): read the configuration at revision R, validate and
 * encode the wanted state with the server's own code (the encode pool, then
 * a scratch ResourceStore, so the problems are the ones a file reload
 * reports), diff by content hash, and write the difference as ONE etcd
 * transaction guarded by R. A replica therefore sees a whole apply at one
 * revision or none of it, and a concurrent writer makes the apply fail
 * instead of losing an update.
 *
 * The state written is always one a replica accepts: without --prune the
 * files are upserted over what etcd holds and the union is validated; with
 * --prune the files are the whole truth; a delete is the current state
 * minus the resource, validated the same way (so a dangling reference is
 * refused).
 */
import type { Etcd3 } from 'etcd3';
import { DEFAULT_GROUP, formatProblem } from '../source';
import type { ConfigProblem, NodeGroupSpec } from '../source';
import { EncodePool } from '../encode';
import type { DocumentInput, EncodedResource } from '../encode';
import { ResourceStore } from '../store';
import { XdsServerError } from '../errors';
import { TYPE_URL_PREFIX } from '../xds/type-urls';
import { DEFAULT_ETCD_PREFIX, DEFAULT_GROUP_SEGMENT, etcdLayout, groupKey, resourceKey } from '../source/etcd-keys';
import type { EtcdLayout } from '../source/etcd-keys';
import { commit, commitSize, connectEtcd, EtcdTxnLimitError, readSnapshot } from './etcd-kv';
import type { EtcdConnection } from './etcd-kv';
import { groupValue, readEtcdEntry } from './etcd-values';
import type { EtcdEntry } from './etcd-values';
import { planChanges } from './plan';
import { readCurrentState, resourceChange } from './current-state';
import type { CurrentState, WantedGroup, WantedResource } from './current-state';
import type { DesiredKey, KeyChange, Plan } from './plan';
import { ETCD_DEFAULT_MAX_REQUEST_BYTES, ETCD_DEFAULT_MAX_TXN_OPS, fits, limitMessage } from './txn-limits';
import type { TxnLimits, TxnSize } from './txn-limits';
import { typeLabel } from '../xds/resource-types';

/** The etcd an apply writes to. */
export interface EtcdTarget extends EtcdConnection {
  /** Key prefix (default `/fanout-xds/`): the same `--etcd-prefix` the replicas read. */
  readonly prefix?: string;
  /** etcd's `--max-txn-ops` (default 128, etcd's default). */
  readonly maxTxnOps?: number;
  /** etcd's `--max-request-bytes` (default 1.5 MiB, etcd's default). */
  readonly maxRequestBytes?: number;
}

/** How the writer validates. */
export interface EtcdWriterOptions {
  /** Encode worker threads (default 1). */
  readonly workers?: number;
  /** Accept states whose only fault is dangling references (as the replicas' --allow-dangling-references). */
  readonly allowDanglingReferences?: boolean;
}

/** Per-call options. */
export interface WriteOptions {
  /** Compute and return the difference; write nothing. */
  readonly dryRun?: boolean;
  /** Test hook: runs after the read at R and before the commit (tests use it to force a concurrent write). */
  readonly beforeCommit?: (readRevision: number) => Promise<void>;
}

/** What to apply: config documents (file name + text, as files are read), or one config object. */
export type ApplyInput = { readonly documents: readonly DocumentInput[] } | { readonly config: Readonly<Record<string, unknown>>; readonly label?: string };

/** Outcome of an apply or delete. Invalid input is a result; etcd trouble and conflicts are thrown XdsServerErrors. */
export type EtcdWriteResult =
  | {
      readonly ok: true;
      readonly dryRun: boolean;
      /** Whether a transaction was written (false for a dry run or when nothing differs). */
      readonly committed: boolean;
      /** The revision the configuration was read at. */
      readonly readRevision: number;
      /** The revision of the write (= readRevision when nothing was written). */
      readonly revision: number;
      readonly added: readonly KeyChange[];
      readonly changed: readonly KeyChange[];
      readonly removed: readonly KeyChange[];
      readonly unchanged: number;
      /** Operations and bytes of the transaction. */
      readonly txn: TxnSize;
      /** A dry run over the etcd limits: the message the real apply would fail with. */
      readonly overLimits?: string;
    }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly message: string };

/** What `delete` removes: one resource, or a node group with its resources. */
export type DeleteSelection = { readonly typeUrl: string; readonly name: string; readonly group?: string } | { readonly nodeGroup: string };

/** The configuration in etcd, read back (for `get`). */
export interface EtcdConfig {
  readonly revision: number;
  readonly entries: readonly EtcdEntry[];
}

/** Label of the document made from an `{ config }` input. */
const API_LABEL = '(api)';

/** Writes configuration to etcd. Holds an etcd client and (once needed) an encode pool; close it when done. */
export class EtcdWriter {
  readonly #target: EtcdTarget;
  readonly #options: EtcdWriterOptions;
  readonly #layout: EtcdLayout;
  readonly #limits: TxnLimits;
  readonly #client: Etcd3;
  #pool: EncodePool | undefined;

  constructor(target: EtcdTarget, options: EtcdWriterOptions = {}) {
    this.#target = target;
    this.#options = options;
    this.#layout = etcdLayout(target.prefix ?? DEFAULT_ETCD_PREFIX);
    this.#limits = { maxTxnOps: target.maxTxnOps ?? ETCD_DEFAULT_MAX_TXN_OPS, maxRequestBytes: target.maxRequestBytes ?? ETCD_DEFAULT_MAX_REQUEST_BYTES };
    this.#client = connectEtcd(target);
  }

  /** The key layout written to. */
  get layout(): EtcdLayout {
    return this.#layout;
  }

  /** Read every configuration key (for `get`); values are not validated. */
  async read(): Promise<EtcdConfig> {
    const snapshot = await readSnapshot(this.#client, this.#layout, this.#target.endpoints);
    return { revision: snapshot.revision, entries: [...snapshot.kvs].map(([key, value]) => readEtcdEntry(this.#layout, key, value)) };
  }

  /**
   * Apply config documents: validate and encode them as a file reload would,
   * then write what differs. Without `prune` only upserts; with `prune`,
   * keys the documents do not define are removed.
   */
  async apply(input: ApplyInput, options: WriteOptions & { readonly prune?: boolean } = {}): Promise<EtcdWriteResult> {
    const documents = 'documents' in input ? input.documents : [{ file: input.label ?? API_LABEL, text: JSON.stringify(input.config) }];
    const outcome = await this.#encoder().encodeDocuments(documents, { withSource: true });
    if (outcome.problems.length > 0) return rejected(outcome.problems);
    const problems: ConfigProblem[] = [];
    const fileResources = this.#wantedResources(outcome.resources, problems);
    const fileGroups = this.#wantedGroups(outcome.groups, problems);
    if (problems.length > 0) return rejected(problems);

    const current = await readCurrentState(this.#client, this.#layout, this.#target.endpoints, this.#encoder());
    const fileKeys = new Set([...fileResources.map((r) => r.key), ...fileGroups.map((g) => g.key)]);
    const keep = (key: string): boolean => !options.prune && !fileKeys.has(key);
    const resources = [...fileResources, ...[...current.resources.values()].filter((r) => keep(r.key))];
    const keptGroups = [...current.groups.values()].filter((g) => keep(g.key));
    // The store checks the groups as written (a name defined twice with different matchers is a problem).
    const specs = [...outcome.groups, ...keptGroups.map((g) => g.spec)];
    const remove = options.prune ? [...current.keys.keys()].filter((k) => !fileKeys.has(k)) : [];
    const kept = [...current.invalid].filter(([key]) => keep(key));
    return this.#finish(current, resources, [...fileGroups, ...keptGroups], specs, kept, remove, options);
  }

  /** Remove one resource (or a node group with its resources): the current state minus that, validated like an apply. */
  async remove(selection: DeleteSelection, options: WriteOptions = {}): Promise<EtcdWriteResult> {
    const current = await readCurrentState(this.#client, this.#layout, this.#target.endpoints, this.#encoder());
    const doomed = new Set<string>();
    if ('nodeGroup' in selection) {
      const key = groupKey(this.#layout, selection.nodeGroup);
      if (current.keys.has(key)) doomed.add(key);
      const segment = `${this.#layout.resources}${selection.nodeGroup}/`;
      for (const k of current.keys.keys()) if (k.startsWith(segment)) doomed.add(k);
      if (doomed.size === 0) throw notFound(`node group "${selection.nodeGroup}"`, this.#layout);
    } else {
      const group = selection.group ?? DEFAULT_GROUP;
      const key = resourceKey(this.#layout, { group, typeUrl: selection.typeUrl, name: selection.name });
      if (!current.keys.has(key)) throw notFound(`${typeLabel(selection.typeUrl)} "${selection.name}" (group ${group === DEFAULT_GROUP ? DEFAULT_GROUP_SEGMENT : group})`, this.#layout);
      doomed.add(key);
    }
    const resources = [...current.resources.values()].filter((r) => !doomed.has(r.key));
    const groups = [...current.groups.values()].filter((g) => !doomed.has(g.key));
    const kept = [...current.invalid].filter(([key]) => !doomed.has(key));
    return this.#finish(
      current,
      resources,
      groups,
      groups.map((g) => g.spec),
      kept,
      doomed,
      options,
    );
  }

  /** Stop the encode workers and the etcd client. */
  async close(): Promise<void> {
    this.#client.close();
    await this.#pool?.close();
  }

  #encoder(): EncodePool {
    return (this.#pool ??= new EncodePool(this.#options.workers ?? 1));
  }

  /** Validate the wanted state as a replica will, diff it against the current one, and write the difference in one guarded transaction. */
  async #finish(
    current: CurrentState,
    resources: readonly WantedResource[],
    groups: readonly WantedGroup[],
    specs: readonly NodeGroupSpec[],
    invalid: readonly (readonly [string, ConfigProblem[]])[],
    remove: Iterable<string>,
    options: WriteOptions,
  ): Promise<EtcdWriteResult> {
    const problems = invalid.flatMap(([, p]) => p);
    const check = new ResourceStore().replaceAll(
      resources.map((r) => r.encoded),
      specs,
      { allowDanglingReferences: this.#options.allowDanglingReferences ?? false },
    );
    if (!check.ok) problems.push(...check.problems);
    if (problems.length > 0) return rejected(problems);

    const desired = new Map<string, DesiredKey>();
    for (const r of resources) desired.set(r.key, { identity: r.encoded.version, value: r.value, change: resourceChange(r.key, r.encoded) });
    for (const g of groups) {
      const value = groupValue(g.spec.match, g.order);
      desired.set(g.key, { identity: value, value, change: { key: g.key, kind: 'group', name: g.spec.name, group: g.spec.name } });
    }
    const plan = planChanges(current.keys, desired, remove);
    const { snapshot } = current;
    const record = JSON.stringify({ at: new Date().toISOString(), added: plan.added.length, changed: plan.changed.length, removed: plan.removed.length });
    const txn = commitSize(this.#layout, snapshot, plan.ops, record);
    const over = plan.ops.length > 0 && !fits(txn, this.#limits) ? limitMessage(txn, this.#limits) : undefined;
    const result = (committed: boolean, revision: number): EtcdWriteResult => ({
      ok: true,
      dryRun: options.dryRun ?? false,
      committed,
      readRevision: snapshot.revision,
      revision,
      ...summary(plan),
      txn,
      ...(options.dryRun && over !== undefined ? { overLimits: over } : {}),
    });
    if (options.dryRun || plan.ops.length === 0) return result(false, snapshot.revision);
    if (over !== undefined) throw new EtcdTxnLimitError(over, txn);
    await options.beforeCommit?.(snapshot.revision);
    const revision = await commit(this.#client, this.#layout, snapshot, plan.ops, record, this.#limits, this.#target.endpoints);
    return result(true, revision);
  }

  /** The documents' resources with their keys; a resource etcd cannot key is a problem. */
  #wantedResources(encoded: readonly EncodedResource[], problems: ConfigProblem[]): WantedResource[] {
    const out: WantedResource[] = [];
    for (const r of encoded) {
      if (!r.typeUrl.startsWith(TYPE_URL_PREFIX)) {
        problems.push({ file: r.file, resource: `${r.location} (${r.name})`, field: '@type', message: `type URL "${r.typeUrl}" cannot be stored in etcd: keys hold ${TYPE_URL_PREFIX} types only` });
        continue;
      }
      if (r.source === undefined) throw new Error(`internal: the encoder returned no source for ${r.file}: ${r.location}`);
      out.push({ encoded: r, key: resourceKey(this.#layout, r), value: r.source });
    }
    return out;
  }

  /** The documents' groups in the order written, `order` their position (the first definition of a name wins, as in the store); a name etcd cannot key is a problem. */
  #wantedGroups(groups: readonly NodeGroupSpec[], problems: ConfigProblem[]): WantedGroup[] {
    const out = new Map<string, WantedGroup>();
    for (const spec of groups) {
      if (spec.name === DEFAULT_GROUP_SEGMENT || spec.name.includes('/')) {
        problems.push({ file: '(node_groups)', resource: spec.name, field: 'name', message: `a node group stored in etcd cannot be named "${DEFAULT_GROUP_SEGMENT}" or contain "/"; rename it` });
        continue;
      }
      if (!out.has(spec.name)) out.set(spec.name, { spec, order: out.size, key: groupKey(this.#layout, spec.name) });
    }
    return [...out.values()];
  }
}

/** Apply once and close: the library's one-call write path (see EtcdWriter for repeated use). */
export async function applyToEtcd(target: EtcdTarget, input: ApplyInput, options: WriteOptions & EtcdWriterOptions & { readonly prune?: boolean } = {}): Promise<EtcdWriteResult> {
  const writer = new EtcdWriter(target, options);
  try {
    return await writer.apply(input, options);
  } finally {
    await writer.close();
  }
}

function rejected(problems: readonly ConfigProblem[]): EtcdWriteResult {
  return { ok: false, problems, message: problems.map(formatProblem).join('\n') };
}

function summary(plan: Plan): Pick<Plan, 'added' | 'changed' | 'removed' | 'unchanged'> {
  return { added: plan.added, changed: plan.changed, removed: plan.removed, unchanged: plan.unchanged };
}

function notFound(what: string, layout: EtcdLayout): XdsServerError {
  return new XdsServerError('XDS_ERR_NOT_FOUND', `${what} is not in etcd under ${layout.prefix}; nothing was deleted (list what is there with: fanout-xds get)`);
}

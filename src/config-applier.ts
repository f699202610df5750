/**
 * @module config-applier
 * Applies configuration batches in order: encode in the pool, commit to the
 * store all or nothing, publish the change set. Shared by file reloads and
 * the library API, so both log, count and reject the same way.
 */
import type { Logger } from 'pino';
import { DEFAULT_GROUP, formatProblem } from './source';
import type { ConfigProblem, EtcdConfig, RawResource } from './source';
import { KeyedEncoder } from './encode';
import type { DocumentInput, EncodeOutcome, EncodePool } from './encode';
import { countChanges, summarizeChanges } from './store';
import { bareExcerpt, NAME_MAX_CHARS } from './observe/excerpt';
import type { CommitResult, RemovalKey, ResourceStore } from './store';
import type { PushScheduler } from './push';
import type { ServerMetrics } from './observe/metrics';
import type { ApplyResult, ResourceJson, ResourceKey } from './api-types';

/** What the applier works with. */
export interface ApplierDeps {
  readonly pool: EncodePool;
  readonly store: ResourceStore;
  readonly scheduler: PushScheduler;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  readonly allowDanglingReferences: boolean;
}

/** Label used in problems for resources given through the library API. */
const API_FILE = '(api)';

/** Problems written into a log line and a result message; the rest are counted. */
const MAX_PROBLEMS_SHOWN = 100;

/** Serialises and applies batches. */
export class ConfigApplier {
  readonly #deps: ApplierDeps;
  #chain: Promise<unknown> = Promise.resolve();
  #loaded = false;
  #keyed: KeyedEncoder | undefined;

  constructor(deps: ApplierDeps) {
    this.#deps = deps;
  }

  /** Whether a configuration has been committed at least once. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Replace everything with these documents (a file reload: bytes read from the config path, or text through the API). */
  loadConfigDocuments(documents: readonly DocumentInput[], source?: string): Promise<ApplyResult> {
    const { pool, store } = this.#deps;
    // Label before encoding: the pool takes over (detaches) the documents' bytes.
    const label = source ?? documentsLabel(documents);
    return this.#enqueue(async () => {
      const outcome = await pool.encodeDocuments(documents);
      return this.#finish(label, outcome, (o) => store.replaceAll(o.resources, o.groups, this.#commitOptions()));
    });
  }

  /**
   * Replace everything with the configuration an etcd revision holds (the
   * whole state at that revision, not its events): all or nothing, through
   * the same validation, store and push path as a file reload. Only keys
   * whose text changed since the last call are encoded again.
   */
  loadKeyedConfig(label: string, config: EtcdConfig): Promise<ApplyResult> {
    const { pool, store } = this.#deps;
    return this.#enqueue(async () => {
      const encoded = await (this.#keyed ??= new KeyedEncoder(pool)).encode(config.resources);
      const outcome: EncodeOutcome = { resources: encoded.resources, groups: config.groups, problems: [...config.problems, ...encoded.problems] };
      return this.#finish(label, outcome, (o) => store.replaceAll(o.resources, o.groups, this.#commitOptions()));
    });
  }

  /** Replace every resource of one group (default: every node's) with this list. */
  setResources(resources: readonly ResourceJson[], opts: { group?: string } = {}): Promise<ApplyResult> {
    const { pool, store } = this.#deps;
    return this.#enqueue(async () => {
      const group = opts.group ?? DEFAULT_GROUP;
      const outcome = await pool.encodeResources(toRaw(resources, group));
      return this.#finish('setResources', outcome, (o) => {
        const keep = new Set(o.resources.map((r) => `${r.typeUrl}\u0000${r.name}`));
        const removals: RemovalKey[] = [];
        for (const r of store.allResources()) {
          if (r.group === group && !keep.has(`${r.typeUrl}\u0000${r.name}`)) removals.push({ typeUrl: r.typeUrl, name: r.name, group });
        }
        return store.update(o.resources, removals, this.#commitOptions());
      });
    });
  }

  /** Upsert and remove, as one batch. */
  updateResources(change: { upsert?: readonly ResourceJson[]; remove?: readonly ResourceKey[]; group?: string }): Promise<ApplyResult> {
    const { pool, store } = this.#deps;
    return this.#enqueue(async () => {
      const group = change.group ?? DEFAULT_GROUP;
      const outcome = await pool.encodeResources(toRaw(change.upsert ?? [], group));
      const removals = (change.remove ?? []).map((k) => ({ typeUrl: k.typeUrl, name: k.name, group: k.group ?? group }));
      return this.#finish('updateResources', outcome, (o) => store.update(o.resources, removals, this.#commitOptions()));
    });
  }

  /** Log and count a rejected batch; nothing changes. */
  reject(label: string, problems: readonly ConfigProblem[]): ApplyResult {
    const { metrics, log } = this.#deps;
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map(formatProblem);
    if (problems.length > MAX_PROBLEMS_SHOWN) shown.push(`… and ${problems.length - MAX_PROBLEMS_SHOWN} more problems`);
    const message = shown.join('\n');
    metrics.reload('rejected');
    for (const refusal of new Set(problems.map((p) => p.refusal))) if (refusal !== undefined) metrics.configRefused(refusal);
    // Before the first commit there is nothing to fall back on: say so, rather than promise a configuration that does not exist.
    if (this.#loaded) log.error({ source: label, problems: shown }, 'configuration rejected; still serving the last good configuration');
    else log.error({ source: label, problems: shown }, 'configuration rejected; there is no last good configuration to serve (none has been applied yet)');
    return { ok: false, problems, message };
  }

  #commitOptions(): { allowDanglingReferences: boolean } {
    return { allowDanglingReferences: this.#deps.allowDanglingReferences };
  }

  /** Serialise batches: each one sees the store the previous one left. */
  #enqueue(work: () => Promise<ApplyResult>): Promise<ApplyResult> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #finish(label: string, outcome: EncodeOutcome, commit: (o: EncodeOutcome) => CommitResult): ApplyResult {
    const { log, metrics, scheduler } = this.#deps;
    if (outcome.problems.length > 0) return this.reject(label, outcome.problems);
    const result = commit(outcome);
    if (!result.ok) return this.reject(label, result.problems);
    for (const w of result.warnings) log.warn({ problem: formatProblem(w) }, 'serving a dangling reference (--allow-dangling-references)');
    const { updated, removed } = countChanges(result.changes);
    const firstCommit = !this.#loaded;
    this.#loaded = true;
    metrics.reload('accepted');
    const changes = summarizeChanges(result.changes, undefined, (n) => bareExcerpt(n, NAME_MAX_CHARS));
    log.info({ source: label, revision: result.changes.revision, updated, removed, resources: outcome.resources.length, summary: describeChanges(changes), changes }, 'configuration applied');
    scheduler.publish(result.changes);
    // Streams opened before the first batch were held (StreamContext.isReady); even an empty first batch answers them.
    if (firstCommit) scheduler.flushAll();
    return { ok: true, revision: result.changes.revision, updated, removed };
  }
}

/** One line for people: `Cluster +2 (a, b) -1 (c); group canary: Listener +1 (l)`; the log line's `changes` field has the same as data. */
function describeChanges(changes: ReturnType<typeof summarizeChanges>): string {
  const groups = Object.entries(changes).map(([group, types]) => {
    const parts = Object.entries(types).map(([type, c]) => {
      const list = (count: number, names: readonly string[] | undefined): string => `${names?.join(', ') ?? ''}${count > (names?.length ?? 0) ? ` and ${count - (names?.length ?? 0)} more` : ''}`;
      const up = c.updated > 0 ? ` +${c.updated} (${list(c.updated, c.updatedNames)})` : '';
      const down = c.removed > 0 ? ` -${c.removed} (${list(c.removed, c.removedNames)})` : '';
      return `${type}${up}${down}`;
    });
    return group === 'default' ? parts.join(', ') : `group ${group}: ${parts.join(', ')}`;
  });
  return groups.length === 0 ? 'no change' : groups.join('; ');
}

/** Library resources (JSON with `@type`) → raw resources for the pool. */
function toRaw(resources: readonly ResourceJson[], group: string): RawResource[] {
  return resources.map((r, i) => {
    const body: Record<string, unknown> = { ...r };
    delete body['@type'];
    const type = String(r['@type'] ?? '');
    return { typeUrl: type.includes('/') ? type : `type.googleapis.com/${type}`, body, file: API_FILE, location: `resources[${i}]`, group };
  });
}

/** Files named in a log line: a directory of thousands must not make every line that long. */
const MAX_FILES_IN_LABEL = 3;

function documentsLabel(documents: readonly DocumentInput[]): string {
  if (documents.length === 0) return '(no files)';
  const names = documents.slice(0, MAX_FILES_IN_LABEL).map((d) => d.file);
  if (documents.length > MAX_FILES_IN_LABEL) names.push(`and ${documents.length - MAX_FILES_IN_LABEL} more files`);
  return names.join(', ');
}

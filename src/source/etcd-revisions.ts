/**
 * @module source/etcd-revisions
 * What the etcd source has received, and the queue that applies it: the
 * full key → value map at the latest revision received, changed one watch
 * response (whole revisions) at a time, and handed to `apply` as the whole
 * configuration at that revision, one apply at a time. Revisions that arrive
 * during an apply are coalesced into the latest, which is still exactly the
 * state at one revision. A rejected revision leaves the applied revision
 * where it was; the next one is validated as the whole state at *its*
 * revision, so what is served is always the last state that validated.
 */
import type { IKeyValue, IWatchResponse } from 'etcd3';
import type { Logger } from 'pino';
import { etcdConfigOf, isConfigKey } from './etcd-config';
import type { EtcdConfig } from './etcd-config';
import type { EtcdLayout } from './etcd-keys';

/** Applies the configuration at `revision`; resolves true when it was accepted. */
export type EtcdApply = (revision: number, config: EtcdConfig) => Promise<boolean>;

/** Wait before applying the same state again after `apply` threw (not a verdict on the configuration). */
const APPLY_RETRY_MS = 2_000;

/** Received state plus the in-order, one-at-a-time apply queue. */
export class EtcdRevisions {
  readonly #layout: EtcdLayout;
  readonly #log: Logger;
  #apply: EtcdApply | undefined;
  /** Key → value at #receivedRevision (config keys only). Copied before a change while an apply holds it. */
  #received = new Map<string, string>();
  #receivedShared = false;
  #receivedRevision = 0;
  #appliedRevision = 0;
  /** Revision of the last configuration accepted (a snapshot's or one that changed configuration keys). */
  #configRevision = 0;
  /** Revision last rejected, while no later revision has been accepted. */
  #rejectedAt: number | undefined;
  #rejected = 0;
  /** Key events delivered by the watch, whatever they changed. */
  #eventsReceived = 0;
  #dirty = false;
  #applying = false;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #firstApplied!: () => void;
  /** Resolves once the first configuration has been applied. */
  readonly firstApplied: Promise<void>;

  constructor(layout: EtcdLayout, log: Logger) {
    this.#layout = layout;
    this.#log = log;
    this.firstApplied = new Promise((resolve) => (this.#firstApplied = resolve));
  }

  /** Latest revision received (≥ applied). */
  get receivedRevision(): number {
    return this.#receivedRevision;
  }

  /** Revision whose configuration is served; 0 before the first is applied. */
  get appliedRevision(): number {
    return this.#appliedRevision;
  }

  /** Revision of the last configuration accepted: unlike appliedRevision, a progress notification (no configuration change) leaves it. */
  get configRevision(): number {
    return this.#configRevision;
  }

  /** The revision last rejected, while no later one has been accepted. */
  get rejectedRevision(): number | undefined {
    return this.#rejectedAt;
  }

  /** Key events the watch has delivered so far (it covers only the configuration range). */
  get eventsReceived(): number {
    return this.#eventsReceived;
  }

  /** Revisions rejected so far. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Start applying (received state is kept until then). */
  start(apply: EtcdApply): void {
    this.#apply = apply;
    this.#pump();
  }

  /** Stop applying. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
  }

  /** A snapshot: the whole state at `revision`. Returns whether it differs from what was received before. */
  replace(kvs: Map<string, string>, revision: number): boolean {
    const changed = this.#receivedRevision === 0 || !sameEntries(this.#received, kvs);
    this.#received = kvs;
    this.#receivedShared = false;
    this.#receivedRevision = Math.max(this.#receivedRevision, revision);
    if (changed) this.#dirty = true;
    this.#pump();
    return changed;
  }

  /** One watch response: one or more whole revisions. */
  onWatchResponse(res: IWatchResponse): void {
    let revision = this.#receivedRevision;
    let changed = false;
    this.#eventsReceived += res.events.length;
    for (const ev of res.events) {
      revision = Math.max(revision, Number(ev.kv.mod_revision));
      const key = ev.kv.key.toString();
      if (!isConfigKey(this.#layout, key)) continue;
      if (!changed && this.#receivedShared) {
        this.#received = new Map(this.#received);
        this.#receivedShared = false;
      }
      changed = true;
      if (isDelete(ev.type)) this.#received.delete(key);
      else this.#received.set(key, (ev.kv as IKeyValue).value.toString());
    }
    // A progress notification (no events) is only sent to a watcher that has every event up to its header.
    if (res.events.length === 0) revision = Math.max(revision, Number(res.header.revision));
    this.#receivedRevision = revision;
    if (changed) this.#dirty = true;
    this.#pump();
  }

  /** Apply the latest received state, one at a time, until nothing new is pending. */
  #pump(): void {
    if (this.#applying || this.#closed || !this.#apply || this.#retryTimer) return;
    if (!this.#dirty) {
      // Revisions that changed no configuration (a progress notification): the served state is also the state at them.
      if (this.#rejectedAt === undefined && this.#appliedRevision > 0) this.#appliedRevision = this.#receivedRevision;
      return;
    }
    this.#applying = true;
    void this.#applyLatest().finally(() => {
      this.#applying = false;
      this.#pump();
    });
  }

  async #applyLatest(): Promise<void> {
    this.#dirty = false;
    const revision = this.#receivedRevision;
    const kvs = this.#received;
    this.#receivedShared = true;
    let ok: boolean;
    try {
      ok = await (this.#apply as EtcdApply)(revision, etcdConfigOf(this.#layout, kvs));
    } catch (err) {
      if (this.#closed) return;
      // Not a verdict on the configuration (e.g. a worker died): try the same state again shortly.
      this.#log.error({ err, revision }, 'applying an etcd revision failed; retrying');
      this.#dirty = true;
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        this.#pump();
      }, APPLY_RETRY_MS);
      return;
    }
    if (ok) {
      const first = this.#appliedRevision === 0;
      this.#appliedRevision = revision;
      this.#configRevision = revision;
      this.#rejectedAt = undefined;
      if (first) this.#firstApplied();
    } else {
      this.#rejected++;
      this.#rejectedAt = revision;
      this.#log.warn(
        { rejectedRevision: revision, servingRevision: this.#appliedRevision || undefined },
        'etcd revision rejected; the last good configuration stays served until a later revision validates',
      );
    }
  }
}

function isDelete(type: unknown): boolean {
  // The client decodes enums as their names ('Delete'); its type declarations say numbers.
  return type === 1 || String(type).toUpperCase() === 'DELETE';
}

function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

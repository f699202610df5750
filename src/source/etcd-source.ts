/**
 * @module source/etcd-source
 * Serves the configuration held in etcd (layout: ./etcd-keys). A replica
 * reads a consistent snapshot (a range read at revision R, paged at that
 * same revision), then watches from R+1. Both cover only the configuration
 * range (`configRange`: `[<prefix>, <prefix>status/)`), so the replicas'
 * own status writes never reach this watch.
 *
 * State, not events, is what gets applied. The source keeps the full
 * key → value map of the last revision it received; each watch response
 * (whole revisions only) is applied to that map, and the map, i.e. the whole
 * configuration at that revision, is handed to `apply`: the same validate →
 * encode → store path a file reload takes, all or nothing. Consequences:
 * - A revision that fails validation is rejected identically on every
 *   replica (same keys, same checks, same order). The last good
 *   configuration stays served. The next revision is validated as the whole
 *   state at *that* revision, on top of what was received (bad key
 *   included), so the served configuration is always the last state that
 *   validated and never a mix of revisions.
 * - One apply runs at a time; revisions that arrive meanwhile are coalesced
 *   into the latest, which is still exactly the state at some revision.
 * (./etcd-revisions holds that state and queue; this file owns the client,
 * the snapshot reads and the watch.)
 *
 * Losing etcd never stops serving: the watch reconnects on its own (backoff
 * capped at 2 s, ./etcd-client) and resumes after the last revision
 * received, which is held in memory. If that revision was compacted
 * meanwhile, etcd cancels the watch; the source re-reads a snapshot and
 * applies the difference (the store diffs by content, the encoder memo
 * skips unchanged keys).
 *
 * Until the first snapshot is applied the server holds streams and is not
 * ready; etcd unreachable at start-up means retrying, never serving an
 * empty configuration.
 */
import type { Etcd3, IWatchResponse, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { createEtcdClient, WATCH_BACKOFF_INITIAL_MS, WATCH_BACKOFF_MAX_MS } from './etcd-client';
import { EtcdRevisions } from './etcd-revisions';
import type { EtcdApply } from './etcd-revisions';
import type { EtcdConnectionOptions } from './etcd-client';
import { configRange, DEFAULT_ETCD_PREFIX, etcdLayout } from './etcd-keys';
import type { EtcdLayout } from './etcd-keys';
import { isConfigKey } from './etcd-config';

/** Where the configuration lives and how to reach it. */
export interface EtcdSourceOptions extends EtcdConnectionOptions {
  /** Key prefix; default `/fanout-xds/`. */
  readonly prefix?: string;
}

/** What the source reports for metrics and tests. */
export interface EtcdSourceStatus {
  /** Whether the last exchange with etcd (snapshot read or watch stream) is up. */
  readonly connected: boolean;
  /** Revision whose configuration is served (0 before the first snapshot is applied). */
  readonly appliedRevision: number;
  /** Revision of the last configuration accepted; a progress notification (no configuration change) leaves it. */
  readonly configRevision: number;
  /** The revision last rejected, while no later revision has been accepted. */
  readonly rejectedRevision: number | undefined;
  /** Latest revision received (≥ applied; greater while a revision is rejected or being applied). */
  readonly receivedRevision: number;
  /** Revisions whose configuration was rejected. */
  readonly rejectedRevisions: number;
  /** Key events the watch delivered: configuration keys only, never a replica's status write. */
  readonly watchEvents: number;
  /** Watch re-establishments: after a lost connection, or a fresh snapshot (compaction, cancelled watch). */
  readonly watchRestarts: { readonly reconnect: number; readonly resync: number };
}

export type { EtcdApply } from './etcd-revisions';

/** Keys per snapshot page: bounds one range response (values are whole resources). */
export const SNAPSHOT_PAGE_KEYS = 1000;
/** Longest wait for etcd to confirm the watch is cancelled when closing. */
const CLOSE_CANCEL_TIMEOUT_MS = 1_000;
/** While etcd stays unreachable, log a warning every this many failed attempts (the first always). */
const WARN_EVERY_ATTEMPTS = 15;

/** Why a watch ended: a reason to re-read a snapshot. */
interface WatchEnd {
  readonly reason: 'compacted' | 'cancelled';
  readonly message: string;
}

/** The etcd configuration source. */
export class EtcdSource {
  readonly #layout: EtcdLayout;
  readonly #client: Etcd3;
  readonly #log: Logger;
  readonly #endpoints: string;
  readonly #revisions: EtcdRevisions;
  #connected = false;
  #disconnectedSince: number | undefined;
  #restarts = { reconnect: 0, resync: 0 };
  #watcher: Watcher | undefined;
  #closed = false;
  /** Called by close(): cut short sleeps and end the watch wait. */
  readonly #wakers = new Set<() => void>();
  /** Resolves once the first snapshot has been applied. */
  readonly firstApplied: Promise<void>;

  constructor(options: EtcdSourceOptions, logger: Logger) {
    this.#layout = etcdLayout(options.prefix ?? DEFAULT_ETCD_PREFIX);
    this.#client = createEtcdClient(options);
    this.#endpoints = options.endpoints.join(',');
    this.#log = logger.child({ component: 'etcd-source', prefix: this.#layout.prefix });
    this.#revisions = new EtcdRevisions(this.#layout, this.#log);
    this.firstApplied = this.#revisions.firstApplied;
  }

  /** The key layout in use. */
  get layout(): EtcdLayout {
    return this.#layout;
  }

  /** Current state, read at scrape time. */
  get status(): EtcdSourceStatus {
    return {
      connected: this.#connected,
      appliedRevision: this.#revisions.appliedRevision,
      configRevision: this.#revisions.configRevision,
      rejectedRevision: this.#revisions.rejectedRevision,
      receivedRevision: this.#revisions.receivedRevision,
      rejectedRevisions: this.#revisions.rejected,
      watchEvents: this.#revisions.eventsReceived,
      watchRestarts: { ...this.#restarts },
    };
  }

  /** Start loading in the background: snapshot, then watch, for as long as the source is open. */
  start(apply: EtcdApply): void {
    this.#revisions.start(apply);
    void this.#run();
  }

  /** Stop watching and close the client. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#revisions.close();
    for (const wake of [...this.#wakers]) wake();
    const watcher = this.#watcher;
    this.#watcher = undefined;
    // Cancelling waits for etcd's answer; an etcd that hangs must not hang our shutdown.
    await Promise.race([watcher?.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, CLOSE_CANCEL_TIMEOUT_MS).unref())]);
    this.#client.close();
  }

  /** Snapshot → watch, again after every watch that ends (compaction, cancellation). */
  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#closed) {
      let revision: number;
      try {
        revision = await this.#loadSnapshot();
        attempt = 0;
      } catch (err) {
        if (this.#closed) return;
        this.#setConnected(false);
        attempt++;
        const waitMs = Math.min(WATCH_BACKOFF_MAX_MS, WATCH_BACKOFF_INITIAL_MS * 2 ** (attempt - 1));
        const line = { err: (err as Error).message, endpoints: this.#endpoints, attempt, retryInMs: waitMs, appliedRevision: this.#revisions.appliedRevision };
        if (attempt === 1 || attempt % WARN_EVERY_ATTEMPTS === 0) {
          this.#log.warn(
            line,
            this.#revisions.appliedRevision === 0
              ? 'cannot read a snapshot from etcd; retrying (not ready until one is applied)'
              : 'cannot read a snapshot from etcd; retrying, still serving the last good configuration',
          );
        } else this.#log.debug(line, 'etcd snapshot retry');
        await this.#sleep(waitMs);
        continue;
      }
      const end = await this.#watchFrom(revision + 1);
      if (this.#closed) return;
      this.#restarts.resync++;
      if (end.reason === 'compacted') {
        this.#log.warn({ receivedRevision: this.#revisions.receivedRevision, reason: end.message }, 'etcd compacted past the last revision received; re-reading a snapshot');
      } else {
        this.#log.warn({ receivedRevision: this.#revisions.receivedRevision, reason: end.message }, 'etcd cancelled the watch; re-reading a snapshot');
        await this.#sleep(WATCH_BACKOFF_INITIAL_MS);
      }
    }
  }

  /** Range-read every configuration key at one revision, page by page; make it the received state. */
  async #loadSnapshot(): Promise<number> {
    const range = configRange(this.#layout);
    const end = Buffer.from(range.end);
    const kvs = new Map<string, string>();
    let start = Buffer.from(range.start);
    let revision: string | undefined;
    for (;;) {
      let builder = this.#client.getAll().inRange({ start, end }).limit(SNAPSHOT_PAGE_KEYS);
      if (revision !== undefined) builder = builder.revision(revision);
      const res = await builder.exec();
      revision ??= res.header.revision;
      for (const kv of res.kvs) {
        const key = kv.key.toString();
        if (isConfigKey(this.#layout, key)) kvs.set(key, kv.value.toString());
      }
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !last) break;
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
    if (this.#closed) return Number(revision);
    this.#setConnected(true);
    const rev = Number(revision);
    const changed = this.#revisions.replace(kvs, rev);
    this.#log.info({ revision: rev, keys: kvs.size, changed }, 'read etcd snapshot');
    return rev;
  }

  /** Watch from `startRevision` until etcd ends the watch (or the source closes). */
  #watchFrom(startRevision: number): Promise<WatchEnd> {
    let onClose: (() => void) | undefined;
    return new Promise<WatchEnd>((resolve) => {
      onClose = (): void => resolve({ reason: 'cancelled', message: 'source closed' });
      this.#wakers.add(onClose);
      // watcher() attaches synchronously: create() would resolve a microtask after `connected`, and a catch-up
      // response read in the same tick could be emitted before our listeners exist.
      const range = configRange(this.#layout);
      const watcher = this.#client.watch().inRange({ start: range.start, end: range.end }).startRevision(String(startRevision)).watcher();
      this.#watcher = watcher;
      let wasDisconnected = false;
      watcher.on('connected', () => {
        this.#setConnected(true);
        if (wasDisconnected) {
          this.#restarts.reconnect++;
          this.#log.info({ afterRevision: this.#revisions.receivedRevision }, 'etcd watch resumed');
        }
        wasDisconnected = false;
      });
      watcher.on('data', (res: IWatchResponse) => this.#revisions.onWatchResponse(res));
      watcher.on('disconnected', (err: Error) => {
        wasDisconnected = true;
        this.#setConnected(false, err);
        // etcd3 resumes from the last *header* revision + 1; after a catch-up response that header is the
        // cluster's current revision, not the last event delivered. Resume after what we actually hold.
        watcher.request.start_revision = String(this.#revisions.receivedRevision + 1);
      });
      watcher.on('error', (err: Error) => {
        // etcd3 has already dropped a watcher it reports an error for; cancelling it again would write to a dead stream.
        if (this.#watcher === watcher) this.#watcher = undefined;
        const message = err.message;
        // etcd cancels a watch whose start revision was compacted with `compact_revision` set and no reason;
        // etcd3 reports only the (empty) reason. Other cancellations (permission denied) carry one.
        const compacted = /compacted/i.test(message) || /canceled:\s*$/.test(message);
        resolve({ reason: compacted ? 'compacted' : 'cancelled', message });
      });
      watcher.on('end', () => resolve({ reason: 'cancelled', message: 'watch ended' }));
    }).finally(() => {
      if (onClose) this.#wakers.delete(onClose);
    });
  }

  #setConnected(connected: boolean, err?: Error): void {
    if (connected === this.#connected) return;
    this.#connected = connected;
    if (connected) {
      if (this.#disconnectedSince !== undefined) this.#log.info({ downMs: Date.now() - this.#disconnectedSince }, 'etcd reachable again');
      this.#disconnectedSince = undefined;
    } else if (!this.#closed) {
      this.#disconnectedSince = Date.now();
      this.#log.warn({ err: err?.message, endpoints: this.#endpoints, appliedRevision: this.#revisions.appliedRevision }, 'lost etcd; still serving the last good configuration and reconnecting');
    }
  }

  /** Sleep, cut short by close(). */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }
}

/**
 * @module status/fleet
 * Reading the fleet's status from etcd: every live replica's published
 * status (`<prefix>status/replicas/`), read once (`fanout-xds status`) or
 * followed with a watch (`apply --wait`), and the revision of the
 * configuration the replicas should be serving.
 */
import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import type { EtcdLayout } from '../source/etcd-keys';
import { parseReplicaStatus } from './replica-status';
import type { ReplicaStatus } from './replica-status';

/** A status key whose value is not a replica status (written by hand, or by another version). */
export interface UnreadableStatus {
  readonly key: string;
  readonly problem: string;
}

/** Every live replica, by name, and the keys that did not read back. */
export interface Fleet {
  readonly replicas: readonly ReplicaStatus[];
  readonly unreadable: readonly UnreadableStatus[];
}

type Entry = { ok: true; value: ReplicaStatus } | { ok: false; problem: string };

function fleetOf(entries: ReadonlyMap<string, Entry>): Fleet {
  const replicas: ReplicaStatus[] = [];
  const unreadable: UnreadableStatus[] = [];
  for (const key of [...entries.keys()].sort()) {
    const e = entries.get(key) as Entry;
    if (e.ok) replicas.push(e.value);
    else unreadable.push({ key, problem: e.problem });
  }
  return { replicas, unreadable };
}

function isDelete(type: unknown): boolean {
  // The client decodes enums as their names ('Delete'); its type declarations say numbers.
  return type === 1 || String(type).toUpperCase() === 'DELETE';
}

/** Read every replica status now; also returns the etcd revision read at. */
export async function readFleet(client: Etcd3, layout: EtcdLayout): Promise<Fleet & { readonly revision: number }> {
  const { entries, revision } = await readEntries(client, layout);
  return { ...fleetOf(entries), revision };
}

async function readEntries(client: Etcd3, layout: EtcdLayout): Promise<{ entries: Map<string, Entry>; revision: number }> {
  const res = await client.getAll().prefix(layout.replicas).exec();
  const entries = new Map<string, Entry>();
  for (const kv of res.kvs) entries.set(kv.key.toString(), parseReplicaStatus(kv.value.toString()));
  return { entries, revision: Number(res.header.revision) };
}

/**
 * The revision of the newest configuration in etcd: the latest mod revision
 * among configuration keys and the last-apply record (which every apply and
 * delete writes, so a deletion counts too). A replica serving at least this
 * revision serves the configuration etcd holds now.
 */
export async function configRevision(client: Etcd3, layout: EtcdLayout): Promise<number> {
  const newest = (prefix: string): Promise<IKeyValue[]> =>
    client
      .getAll()
      .prefix(prefix)
      .sort('Mod', 'Descend')
      .limit(1)
      .exec()
      .then((r) => r.kvs);
  const [resources, groups, last] = await Promise.all([
    newest(layout.resources),
    newest(layout.groups),
    client
      .get(layout.lastApply)
      .exec()
      .then((r) => r.kvs),
  ]);
  return Math.max(0, ...[...resources, ...groups, ...last].map((kv) => Number(kv.mod_revision)));
}

/** Follows the fleet: the current status, then every change, until closed. */
export class FleetWatch {
  readonly #entries: Map<string, Entry>;
  readonly #watcher: Watcher;

  private constructor(entries: Map<string, Entry>, watcher: Watcher) {
    this.#entries = entries;
    this.#watcher = watcher;
  }

  /**
   * Read the fleet, then watch for changes from the next revision;
   * `onChange` runs with the fleet after every change, `onError` when the
   * watch fails for good (etcd3 reconnects a lost connection on its own).
   */
  static async open(client: Etcd3, layout: EtcdLayout, onChange: (fleet: Fleet) => void, onError: (err: Error) => void): Promise<FleetWatch> {
    const { entries, revision } = await readEntries(client, layout);
    const watcher = client
      .watch()
      .prefix(layout.replicas)
      .startRevision(String(revision + 1))
      .watcher();
    const watch = new FleetWatch(entries, watcher);
    watcher.on('data', (res: IWatchResponse) => {
      if (res.events.length === 0) return;
      for (const ev of res.events) {
        const key = ev.kv.key.toString();
        if (isDelete(ev.type)) entries.delete(key);
        else entries.set(key, parseReplicaStatus(ev.kv.value.toString()));
      }
      onChange(fleetOf(entries));
    });
    watcher.on('error', onError);
    return watch;
  }

  /** The fleet as last seen. */
  get fleet(): Fleet {
    return fleetOf(this.#entries);
  }

  /** Stop watching. */
  async close(): Promise<void> {
    await this.#watcher.cancel().catch(() => undefined);
  }
}

/**
 * @module status/status-publisher
 * A replica's status in etcd (`<prefix>status/replicas/<replica>`, value:
 * ./replica-status), written under a lease so the key disappears when the
 * replica dies: etcd deletes it once the lease's TTL passes without a
 * keepalive (etcd3 sends them every TTL/3). A clean stop revokes the lease,
 * which deletes the key at once.
 *
 * Written at most once per PUBLISH_INTERVAL_MS and only when something a
 * reader cares about changed: the served configuration's revision, the
 * rejected revision, the node counts or NACKs. The replicas' configuration
 * watch does not cover `status/` (source/etcd-keys configRange), so one
 * replica's status write never wakes another; the applied revision is still
 * left out of the change test, so a revision that changed no configuration
 * (a watch progress notification) does not make every replica write.
 *
 * After an etcd outage longer than the TTL the lease is gone; etcd3 reports
 * it lost, and the next turn grants a new lease and writes the status again.
 */
import * as os from 'node:os';
import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';
import { createEtcdClient } from '../source/etcd-client';
import type { EtcdConnectionOptions } from '../source/etcd-client';
import type { EtcdLayout } from '../source/etcd-keys';
import { XdsServerError } from '../errors';
import type { NodeCensus, ReplicaStatus } from './replica-status';

/** Shortest time between two writes of one replica's status. */
export const PUBLISH_INTERVAL_MS = 1_000;
/** Default lease TTL (`--status-lease-ttl`): how long a dead replica's status outlives it. */
export const DEFAULT_STATUS_LEASE_TTL_SECONDS = 10;
/** Longest wait for etcd to revoke the lease on close: an unreachable etcd must not hold up shutdown. */
const CLOSE_REVOKE_TIMEOUT_MS = 1_000;
/** While etcd stays unreachable, warn every this many failed turns (the first always). */
const WARN_EVERY_FAILURES = 30;
const MAX_REPLICA_NAME_CHARS = 200;

/** The revisions a replica reports (source/etcd-source's status). */
export interface ServedRevisions {
  readonly appliedRevision: number;
  readonly configRevision: number;
  readonly rejectedRevision: number | undefined;
}

/** What the publisher needs. */
export interface StatusPublisherOptions {
  readonly connection: EtcdConnectionOptions;
  readonly layout: EtcdLayout;
  /** Replica name; default host:pid. */
  readonly name?: string;
  readonly leaseTtlSeconds?: number;
  /** Counts the nodes now (status/node-census). */
  readonly census: () => NodeCensus;
  readonly revisions: () => ServedRevisions;
  readonly logger: Logger;
}

/** The default replica name: host and process id. */
export function defaultReplicaName(): string {
  return `${os.hostname()}:${process.pid}`;
}

/** A problem with a replica name, or undefined when it can be a key segment. */
export function replicaNameProblem(name: string): string | undefined {
  if (name === '') return 'the replica name is empty';
  if (name.includes('/')) return `the replica name "${name}" contains "/"; it is one etcd key segment`;
  if (name.length > MAX_REPLICA_NAME_CHARS) return `the replica name is ${name.length} characters; at most ${MAX_REPLICA_NAME_CHARS}`;
  // eslint-disable-next-line no-control-regex -- control characters are the point
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the replica name contains control characters';
  return undefined;
}

/** Publishes one replica's status under a lease. */
export class ReplicaStatusPublisher {
  readonly #options: StatusPublisherOptions;
  readonly #name: string;
  readonly #key: string;
  readonly #ttl: number;
  readonly #log: Logger;
  readonly #client: Etcd3;
  #lease: Lease | undefined;
  /** What was last written under the current lease (without the time stamp); undefined: write on the next turn. */
  #written: string | undefined;
  #writes = 0;
  #closed = false;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(options: StatusPublisherOptions) {
    const name = options.name ?? defaultReplicaName();
    const problem = replicaNameProblem(name);
    if (problem) throw new XdsServerError('XDS_ERR_OPTIONS', `${problem} (--replica-name)`);
    const ttl = options.leaseTtlSeconds ?? DEFAULT_STATUS_LEASE_TTL_SECONDS;
    if (!Number.isSafeInteger(ttl) || ttl < 1) throw new XdsServerError('XDS_ERR_OPTIONS', `the status lease TTL must be a whole number of seconds, at least 1; got ${ttl} (--status-lease-ttl)`);
    this.#options = options;
    this.#name = name;
    this.#ttl = ttl;
    this.#key = `${options.layout.replicas}${name}`;
    this.#log = options.logger.child({ component: 'replica-status', replica: name });
    this.#client = createEtcdClient(options.connection);
  }

  /** The replica's name (its key's last segment). */
  get name(): string {
    return this.#name;
  }

  /** Status values written so far. */
  get writes(): number {
    return this.#writes;
  }

  /** Start publishing. */
  start(): void {
    this.#running ??= this.#run();
  }

  /** Stop, and delete the key by revoking the lease (bounded wait). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    await this.#running;
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease) await Promise.race([lease.revoke().catch(() => undefined), new Promise((r) => setTimeout(r, CLOSE_REVOKE_TIMEOUT_MS).unref())]);
    this.#client.close();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      try {
        await this.#publishIfChanged();
        if (failures > 0) this.#log.info({ failedTurns: failures }, 'replica status published again');
        failures = 0;
      } catch (err) {
        if (this.#closed) return;
        failures++;
        const line = { err: (err as Error).message, failedTurns: failures };
        if (failures === 1 || failures % WARN_EVERY_FAILURES === 0) this.#log.warn(line, 'cannot publish the replica status to etcd; retrying every second (serving goes on)');
        else this.#log.debug(line, 'replica status retry');
      }
      await this.#sleep(PUBLISH_INTERVAL_MS);
    }
  }

  async #publishIfChanged(): Promise<void> {
    const census = this.#options.census();
    const revisions = this.#options.revisions();
    // The applied revision is left out on purpose (see the module comment); the config revision stands for it.
    const change = JSON.stringify([revisions.configRevision, revisions.rejectedRevision, census]);
    if (change === this.#written && this.#lease && !this.#lease.revoked()) return;
    const lease = await this.#grantedLease();
    if (this.#closed) return;
    const status: ReplicaStatus = {
      replica: this.#name,
      host: os.hostname(),
      pid: process.pid,
      revision: revisions.appliedRevision,
      ...(revisions.rejectedRevision !== undefined ? { rejectedRevision: revisions.rejectedRevision } : {}),
      ...census,
      updatedAt: new Date().toISOString(),
    };
    await lease.put(this.#key).value(JSON.stringify(status));
    if (this.#lease !== lease) return; // lost while writing: write again under the next lease
    this.#written = change;
    this.#writes++;
  }

  /** The current lease, or a new one once the last was lost (or never granted). */
  async #grantedLease(): Promise<Lease> {
    if (this.#lease && !this.#lease.revoked()) return this.#lease;
    const lease = this.#client.lease(this.#ttl, { autoKeepAlive: true });
    this.#lease = lease;
    this.#written = undefined;
    lease.on('lost', (err: Error) => {
      if (this.#lease !== lease) return;
      this.#lease = undefined;
      this.#written = undefined;
      if (!this.#closed) this.#log.warn({ err: err.message }, 'replica status lease lost (etcd unreachable past its TTL?); granting a new one and publishing again');
    });
    await lease.grant();
    this.#log.info({ key: this.#key, leaseTtlSeconds: this.#ttl }, 'publishing replica status');
    return lease;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

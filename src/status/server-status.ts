/**
 * @module status/server-status
 * Which status publisher a server runs: on etcd, one that reports this
 * replica's nodes next to the revisions its etcd source serves; on a file
 * config none (there is no fleet to report to). Made before the server
 * starts its worker threads, so a bad replica name or lease TTL is refused
 * with nothing left running; started by the server once it is bound.
 */
import type { Logger } from 'pino';
import type { EtcdConnectionOptions } from '../source/etcd-client';
import type { EtcdSource } from '../source/etcd-source';
import { takeCensus } from './node-census';
import type { NodeSyncView } from './node-census';
import { ReplicaStatusPublisher } from './status-publisher';

/** What the server hands over. */
export interface ServerStatusOptions {
  /** The server's etcd connection and source; undefined: the server reads a file. */
  readonly etcd: { readonly connection: EtcdConnectionOptions; readonly source: EtcdSource } | undefined;
  /** `--replica-name` and `--status-lease-ttl`. */
  readonly replica: { readonly name?: string; readonly leaseTtlSeconds?: number } | undefined;
  /** The open streams, read at each census (at most once a second, see status-publisher). */
  readonly streams: () => Iterable<NodeSyncView>;
  readonly logger: Logger;
}

/** The publisher for this server, not started; undefined without etcd. Throws XDS_ERR_OPTIONS for a bad name or TTL. */
export function serverStatusPublisher(options: ServerStatusOptions): ReplicaStatusPublisher | undefined {
  const etcd = options.etcd;
  if (etcd === undefined) return undefined;
  return new ReplicaStatusPublisher({
    connection: etcd.connection,
    layout: etcd.source.layout,
    name: options.replica?.name,
    leaseTtlSeconds: options.replica?.leaseTtlSeconds,
    census: () => takeCensus(options.streams()),
    revisions: () => etcd.source.status,
    logger: options.logger,
  });
}

/**
 * @module server-shutdown
 * The order a server stops in, across the boxes: first revoke the status
 * lease (the replica leaves `status` and `apply --wait` at once), then stop
 * the config sources, then close the xDS port, last the encode workers. A
 * drain refuses new streams and ends the open ones over a window first
 * (transport/grpc-shutdown), then stops the same way.
 */
import type { Logger } from 'pino';
import type { FileSource, EtcdSource } from './source';
import type { EncodePool } from './encode';
import { closeGrpcPort, drainGrpcPort } from './transport';
import type { GrpcPort } from './transport';
import type { ReplicaStatusPublisher } from './status';
import type { ConfigReloader } from './config-reloader';

/** What a server stops; the optional parts exist only in some set-ups (file or etcd config, status). */
export interface ServerParts {
  readonly statusPublisher: ReplicaStatusPublisher | undefined;
  readonly fileSource: FileSource | undefined;
  readonly etcdSource: EtcdSource | undefined;
  readonly reloader: ConfigReloader | undefined;
  readonly port: GrpcPort;
  readonly pool: EncodePool;
  /** From now on the discovery services refuse new streams. */
  readonly startDraining: () => void;
  readonly log: Logger;
}

/** The server's stop (once, however often called) and drain. */
export function serverShutdown(parts: ServerParts): { stop: () => Promise<void>; drain: (timeoutMs: number) => Promise<void> } {
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      // First: revoking the status lease takes this replica out of `status` and `apply --wait` at once.
      await parts.statusPublisher?.close();
      parts.fileSource?.close();
      await parts.etcdSource?.close();
      void parts.reloader?.close();
      await closeGrpcPort(parts.port);
      await parts.pool.close();
      parts.log.info('xDS server stopped');
    })());

  const drain = async (timeoutMs: number): Promise<void> => {
    parts.startDraining();
    await drainGrpcPort(parts.port, timeoutMs, parts.log);
    await stop();
  };
  return { stop, drain };
}

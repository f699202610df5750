/**
 * @module cluster/primary
 * `fanout-xds serve --processes N` (N > 1) in the primary process: start the
 * admin port, bind the gRPC port, fork the serving processes, hand each
 * connection to one that serves, log `ready` once all serve, and on
 * SIGTERM/SIGINT stop accepting, drain them all and exit. The primary serves
 * no xDS and reads no configuration; it accepts, supervises, owns the admin
 * port, aggregates.
 */
import type { Logger } from 'pino';
import { Supervisor } from './supervisor';
import { startFleetAdmin } from './fleet-admin';
import { ConnectionHandoff } from './connection-handoff';
import type { BindXdsPort } from './connection-handoff';
import { xdsAddressEnv } from './handed-connections';

/** What the primary needs. */
export interface PrimaryOptions {
  readonly processes: number;
  /** Script the serving processes run (the CLI's main.js) and their arguments. */
  readonly exec: string;
  readonly args: readonly string[];
  readonly drainTimeoutMs: number;
  /** The admin port's address; undefined with --no-admin. */
  readonly admin: { readonly host: string; readonly port: number } | undefined;
  /** Binds the gRPC port (--port, --host) as a single process does; rejects with its BindError. */
  readonly bindXdsPort: BindXdsPort;
  readonly logger: Logger;
}

/** Run the primary; resolves once every serving process serves (the process then lives until a signal). */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { logger } = options;
  const supervisor = new Supervisor({ processes: options.processes, exec: options.exec, args: options.args, drainTimeoutMs: options.drainTimeoutMs, logger });
  // The admin port comes first, so /readyz answers "not ready" while the processes start.
  const admin = options.admin ? await startFleetAdmin(supervisor, options.admin.host, options.admin.port, logger) : undefined;
  // The gRPC port is bound before any process is forked: a busy port fails the start at once with the same
  // error as one process gives (naming --port), not after N processes have loaded the configuration, and the
  // bound port (also with --port 0) is known to every serving process from its start. Connections go only to
  // processes that reported serving, so a node never reaches one that has not loaded its configuration; one
  // that arrives while none serves is closed, and the client's reconnect backoff retries as after a refused
  // connect.
  const handoff = new ConnectionHandoff({ targets: () => supervisor.servingWorkers(), log: logger.child({ component: 'connection-handoff' }), registry: supervisor.registry });
  let address: { port: number; host: string };
  try {
    address = await handoff.listen(options.bindXdsPort);
  } catch (err) {
    await admin?.close();
    throw err;
  }
  let shuttingDown = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal, drainTimeoutMs: options.drainTimeoutMs, processes: options.processes }, 'shutting down');
    // Stop accepting first: no connection is handed to a process that is draining.
    handoff.close();
    void supervisor.stop(signal).then(async (allClean) => {
      await admin?.close();
      if (!allClean) logger.error('a serving process did not drain cleanly (see its log lines)');
      process.exit(allClean ? 0 : 1);
    });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  try {
    await supervisor.start(xdsAddressEnv(address));
  } catch (err) {
    handoff.close();
    await supervisor.stop('SIGTERM');
    await admin?.close();
    throw err;
  }
  const serving = supervisor.serving();
  // The same machine-readable line as a single process logs, for scripts that start us with --port 0.
  logger.info({ grpcPort: address.port, adminPort: admin?.port, processes: options.processes, pids: serving.map((p) => p.pid) }, 'ready');
}

/**
 * @module cluster/primary
 * `fanout-xds serve --processes N` (N > 1) in the primary process: start the
 * admin port, fork the serving processes, log `ready` once all serve, and on
 * SIGTERM/SIGINT drain them all and exit. The primary serves no xDS and
 * reads no configuration; it supervises, owns the admin port, aggregates.
 */
import type { Logger } from 'pino';
import { Supervisor } from './supervisor';
import { startFleetAdmin } from './fleet-admin';

/** What the primary needs. */
export interface PrimaryOptions {
  readonly processes: number;
  /** Script the serving processes run (the CLI's main.js) and their arguments. */
  readonly exec: string;
  readonly args: readonly string[];
  readonly drainTimeoutMs: number;
  /** The admin port's address; undefined with --no-admin. */
  readonly admin: { readonly host: string; readonly port: number } | undefined;
  readonly logger: Logger;
}

/** Run the primary; resolves once every serving process serves (the process then lives until a signal). */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { logger } = options;
  const supervisor = new Supervisor({ processes: options.processes, exec: options.exec, args: options.args, drainTimeoutMs: options.drainTimeoutMs, logger });
  // The admin port comes first, so /readyz answers "not ready" while the processes start.
  const admin = options.admin ? await startFleetAdmin(supervisor, options.admin.host, options.admin.port, logger) : undefined;
  let shuttingDown = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal, drainTimeoutMs: options.drainTimeoutMs, processes: options.processes }, 'shutting down');
    void supervisor.stop(signal).then(async (allClean) => {
      await admin?.close();
      if (!allClean) logger.error('a serving process did not drain cleanly (see its log lines)');
      process.exit(allClean ? 0 : 1);
    });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  try {
    await supervisor.start();
  } catch (err) {
    await supervisor.stop('SIGTERM');
    await admin?.close();
    throw err;
  }
  const serving = supervisor.serving();
  // The same machine-readable line as a single process logs, for scripts that start us with --port 0.
  logger.info({ grpcPort: serving[0]?.grpcPort, adminPort: admin?.port, processes: options.processes, pids: serving.map((p) => p.pid) }, 'ready');
}

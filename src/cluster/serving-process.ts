/**
 * @module cluster/serving-process
 * The serving-process side of `--processes N`: tell the primary the process
 * is serving (and where its loopback admin port is), and answer the
 * primary's metrics requests from this process's registry, so the primary
 * can aggregate them with prom-client's AggregatorRegistry.
 */
import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import type { MetricsAnswer, ServingMessage } from './messages';
import { isMetricsRequest } from './messages';

/** Set in the environment of the processes our primary forks (not those of another cluster primary, such as pm2's). */
export const SERVING_PROCESS_ENV = 'FANOUT_XDS_SERVING_PROCESS';

/** Whether this process was forked by a `--processes N` primary. */
export function isServingProcess(): boolean {
  return cluster.isWorker && process.env[SERVING_PROCESS_ENV] === '1';
}

/** Report to the primary that this process serves, and answer its metrics requests from `registry`. */
export function joinPrimary(registry: Registry, ports: { grpcPort: number; adminPort?: number }): void {
  if (!process.send) throw new Error('joinPrimary: this process has no IPC channel to a primary');
  // A callback, so a send after the primary is gone is dropped rather than an uncaught 'error' (the process exits on disconnect anyway).
  const send = (message: ServingMessage | MetricsAnswer): void => {
    process.send?.(message, undefined, undefined, () => undefined);
  };
  process.on('message', (message: unknown) => {
    if (!isMetricsRequest(message)) return;
    const { requestId } = message;
    registry.getMetricsAsJSON().then(
      (metrics) => send({ kind: 'fanout-xds:metrics-answer', requestId, metrics } satisfies MetricsAnswer),
      (err: unknown) => send({ kind: 'fanout-xds:metrics-answer', requestId, error: err instanceof Error ? err.message : String(err) } satisfies MetricsAnswer),
    );
  });
  send({ kind: 'fanout-xds:serving', grpcPort: ports.grpcPort, adminPort: ports.adminPort } satisfies ServingMessage);
}

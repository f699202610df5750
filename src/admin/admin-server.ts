/**
 * @module admin/admin-server
 * The admin HTTP port (localhost by default): /healthz, /readyz, /metrics,
 * /config_dump (the resources as proto3 JSON, secrets redacted; see
 * config-dump.ts) and /nodes (every connected stream with its per-type
 * subscription, versions and NACKs; see nodes.ts).
 * Sits on top of the server like main.ts; no box imports it.
 */
import * as http from 'node:http';
import type { Logger } from 'pino';
import type { ServerInternals } from '../server';
import { BindError } from '../errors';
import { loadProtoRoot } from '../xds/proto-root';
import { ConfigDumper } from './config-dump';
import { nodesAnswer } from './nodes';
import type { AdminAnswer } from './query';

/** Admin server options. */
export interface AdminOptions {
  /** Largest /config_dump body, bytes (default config-dump.ts DEFAULT_CONFIG_DUMP_MAX_BYTES). */
  readonly maxResponseBytes?: number;
}

/** Start the admin server; resolves with the bound port. A port in use is a BindError naming --admin-port. */
export async function startAdminServer(internals: ServerInternals, host: string, port: number, logger: Logger, options: AdminOptions = {}): Promise<{ port: number; close(): Promise<void> }> {
  const log = logger.child({ component: 'admin' });
  const dumper = new ConfigDumper(loadProtoRoot(), options.maxResponseBytes);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const send = (status: number, body: unknown): void => {
      const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
      res.end(text);
    };
    const answer = (a: AdminAnswer): void => send(a.status, a.body);
    try {
      switch (url.pathname) {
        case '/healthz':
          return send(200, 'ok\n');
        case '/readyz':
          return internals.loaded ? send(200, 'ready\n') : send(503, 'no configuration loaded yet\n');
        case '/config_dump':
          return answer(dumper.dump(internals, url.searchParams));
        case '/metrics':
          void internals.metrics.render().then(
            ({ contentType, body }) => {
              res.writeHead(200, { 'content-type': contentType });
              res.end(body);
            },
            (err: unknown) => send(500, `metrics failed: ${(err as Error).message}\n`),
          );
          return;
        case '/nodes':
          return answer(nodesAnswer(internals.streams, url.searchParams));
        default:
          return send(404, 'not found; try /healthz, /readyz, /metrics, /config_dump, /nodes\n');
      }
    } catch (err) {
      log.error({ err }, 'admin request failed');
      return send(500, `error: ${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new BindError(`${host}:${port}`, err, '--admin-port')));
    // exclusive: in a serving process of --processes N this port must be the process's own, not one
    // the cluster primary shares round-robin among all of them (no effect in a single process).
    server.listen({ port, host, exclusive: true }, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  log.info({ address: `${host}:${bound}` }, 'admin listening');
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

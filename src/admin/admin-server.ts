/**
 * @module admin/admin-server
 * The admin HTTP port (localhost by default): /healthz, /readyz,
 * /config_dump (every resource with name, type, version) and /nodes (every
 * connected stream with its per-type subscription, versions and NACKs).
 * Sits on top of the server like main.ts; no box imports it.
 */
import * as http from 'node:http';
import type { Logger } from 'pino';
import type { ServerInternals } from '../server';
import type { AnyStream } from '../transport';
import { clientString } from '../observe/client-string';

/** Start the admin server; resolves with the bound port. */
export async function startAdminServer(internals: ServerInternals, host: string, port: number, logger: Logger): Promise<{ port: number; close(): Promise<void> }> {
  const log = logger.child({ component: 'admin' });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const send = (status: number, body: unknown): void => {
      const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
      res.end(text);
    };
    try {
      switch (url.pathname) {
        case '/healthz':
          return send(200, 'ok\n');
        case '/readyz':
          return internals.loaded ? send(200, 'ready\n') : send(503, 'no configuration loaded yet\n');
        case '/config_dump':
          return send(200, configDump(internals, url.searchParams.get('type') ?? undefined));
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
          return send(200, nodes(internals.streams, url.searchParams.get('id') ?? undefined));
        default:
          return send(404, 'not found; try /healthz, /readyz, /metrics, /config_dump, /nodes\n');
      }
    } catch (err) {
      log.error({ err }, 'admin request failed');
      return send(500, `error: ${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
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

function configDump(internals: ServerInternals, type: string | undefined): unknown {
  const resources = [];
  for (const r of internals.store.allResources()) {
    if (type && !r.typeUrl.endsWith(type)) continue;
    resources.push({ type: r.typeUrl, name: r.name, version: r.version, group: r.group || undefined, source: `${r.file}: ${r.location}` });
  }
  return { revision: internals.store.revision, resources };
}

function nodes(streams: ReadonlySet<AnyStream>, id: string | undefined): unknown {
  const out = [];
  for (const stream of streams) {
    if (!stream.node || (id !== undefined && stream.node.id !== id)) continue;
    const s = stream.describe();
    const node = s.node;
    if (!node) continue;
    const types: Record<string, unknown> = {};
    for (const st of s.types) {
      types[st.typeUrl] = {
        wildcard: st.wildcard,
        subscribed: st.names.size,
        sentVersion: st.sentVersion,
        ackedVersion: st.ackedVersion,
        nonce: st.nonce,
        awaitingAck: st.awaitingAck,
        pending: st.pending,
        lastNack: st.lastNack,
      };
    }
    // Node id and cluster are whatever the client sent: bounded like in logs.
    out.push({ id: clientString(node.id), cluster: clientString(node.cluster), variant: s.variant, peer: s.peer, group: s.group || undefined, blocked: s.blocked, unflushedBytes: s.unflushedBytes, types });
  }
  return { streams: out.length, nodes: out };
}

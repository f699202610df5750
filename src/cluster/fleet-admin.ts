/**
 * @module cluster/fleet-admin
 * The admin HTTP port of a `--processes N` primary. The primary holds no
 * configuration and no streams, so it answers from its serving processes:
 * /metrics aggregates their registries (prom-client's AggregatorRegistry,
 * each metric by its `aggregator`), /nodes merges every process's answer,
 * /readyz is ready only when every process is, and any other path (such as
 * /config_dump: every process serves the same configuration) is answered by
 * one serving process. Query strings are passed through unchanged.
 */
import * as http from 'node:http';
import type { Logger } from 'pino';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { Supervisor, ServingProcessInfo } from './supervisor';
import { mergeProcessAnswers } from './merge-answers';

/** How long one serving process's admin port gets to answer a forwarded request. */
const FORWARD_TIMEOUT_MS = 5_000;

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** GET `pathAndQuery` from a serving process's loopback admin port. */
function forward(proc: ServingProcessInfo, pathAndQuery: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (proc.adminPort === undefined) return reject(new Error(`serving process ${proc.pid} has no admin port`));
    const req = http.get({ host: '127.0.0.1', port: proc.adminPort, path: pathAndQuery, timeout: FORWARD_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, contentType: String(res.headers['content-type'] ?? 'text/plain; charset=utf-8'), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`serving process ${proc.pid} did not answer ${pathAndQuery} within ${FORWARD_TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

/** Start the primary's admin server on `host:port`; resolves with the bound port. */
export async function startFleetAdmin(supervisor: Supervisor, host: string, port: number, logger: Logger): Promise<{ port: number; close(): Promise<void> }> {
  const log = logger.child({ component: 'fleet-admin' });
  const server = http.createServer((req, res) => {
    const pathAndQuery = req.url ?? '/';
    const url = new URL(pathAndQuery, 'http://admin');
    const send = (status: number, contentType: string, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': contentType, ...headers });
      res.end(body);
    };
    const text = (status: number, body: string): void => send(status, 'text/plain; charset=utf-8', body);
    const failed = (err: unknown): void => {
      log.error({ err, path: url.pathname }, 'admin request failed');
      text(502, `error: ${(err as Error).message}\n`);
    };
    const procs = supervisor.serving();
    const processCount = String(supervisor.configured);
    switch (url.pathname) {
      case '/healthz':
        return text(200, 'ok\n');
      case '/readyz':
        return void readiness(procs, supervisor.configured).then(({ ready, detail }) => text(ready ? 200 : 503, detail), failed);
      case '/metrics':
        return void aggregatedMetrics(supervisor).then((m) => send(200, m.contentType, m.body), failed);
      case '/nodes':
        return void Promise.all(procs.map(async (p) => ({ p, answer: await forward(p, pathAndQuery) }))).then((answers) => {
          const refused = answers.find((a) => a.answer.status !== 200);
          if (refused) return send(refused.answer.status, refused.answer.contentType, refused.answer.body, { 'x-fanout-xds-pid': String(refused.p.pid) });
          const merged = mergeProcessAnswers(answers.map(({ p, answer }) => ({ pid: p.pid, body: JSON.parse(answer.body) as unknown })));
          send(200, 'application/json', JSON.stringify(merged, null, 2), { 'x-fanout-xds-processes': processCount });
        }, failed);
      default: {
        // Every serving process serves the same configuration: one answers for all.
        const one = procs[0];
        if (!one) return text(503, `no serving process is up (0 of ${processCount}); try again shortly\n`);
        return void forward(one, pathAndQuery).then((a) => send(a.status, a.contentType, a.body, { 'x-fanout-xds-pid': String(one.pid), 'x-fanout-xds-processes': processCount }), failed);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  log.info({ address: `${host}:${bound}` }, 'admin listening');
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Ready when every configured serving process is up and its own /readyz says ready. */
async function readiness(procs: readonly ServingProcessInfo[], configured: number): Promise<{ ready: boolean; detail: string }> {
  if (procs.length < configured) return { ready: false, detail: `${procs.length} of ${configured} serving processes are up\n` };
  const answers = await Promise.all(procs.map((p) => forward(p, '/readyz').catch((err: unknown) => ({ status: 503, contentType: '', body: `${(err as Error).message}\n` }))));
  const notReady = answers.flatMap((a, i) => (a.status === 200 ? [] : [`pid ${procs[i]?.pid ?? '?'}: ${a.body.trim()}`]));
  return notReady.length === 0 ? { ready: true, detail: `ready (${configured} serving processes)\n` } : { ready: false, detail: `not ready: ${notReady.join('; ')}\n` };
}

/** Every serving process's metrics aggregated, plus the primary's own. */
async function aggregatedMetrics(supervisor: Supervisor): Promise<{ contentType: string; body: string }> {
  const aggregated = AggregatorRegistry.aggregate(await supervisor.collectMetrics());
  const all = Registry.merge([aggregated as Registry, supervisor.registry]);
  return { contentType: all.contentType, body: await all.metrics() };
}

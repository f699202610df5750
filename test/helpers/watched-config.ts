/**
 * @module test/helpers/watched-config
 * A real server watching a config path in a temporary directory, its pino
 * log captured line by line, and an Envoy-like client on it: what the config
 * source fault tests need to break the path in some way and check that the
 * log says why, says nothing it should not, and that the client keeps (or
 * gets) the right clusters.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { createXdsServer } from '../../src/index';
import type { XdsServerOptions } from '../../src/api-types';
import type { XdsServerWithInternals } from '../../src/server';
import { EnvoyLike } from './envoy-like';
import { T } from './service-paths';
import { cluster } from './resources';

/** Reload debounce used by these tests, in ms. */
export const TEST_DEBOUNCE_MS = 30;
/** How long a test waits for a reload to be logged or to reach the client, in ms. */
export const RELOAD_WAIT_MS = 10_000;

/** A config text serving STATIC clusters with these names (JSON, which is also YAML). */
export function clustersConfig(...names: string[]): string {
  return `${JSON.stringify({ resources: names.map((n) => cluster(n)) }, null, 1)}\n`;
}

/** A running server on a watched path, plus its log and one client. */
export interface Watched {
  readonly dir: string;
  /** The path given as `configPath`. */
  readonly configPath: string;
  readonly server: XdsServerWithInternals;
  readonly client: EnvoyLike;
  /** Every log line so far (raw JSON text). */
  readonly log: string[];
  /** Resolves with the first log line after index `since` whose `msg` is `msg`. */
  waitForLog(msg: string, since: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Cluster names the client holds, sorted. */
  clientClusters(): string[];
  /** Wait until the client holds exactly `names`. */
  waitForClusters(names: readonly string[], timeoutMs?: number): Promise<void>;
  /** A counter's value from /metrics text (0 if absent). */
  metric(name: string, labels: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Start a server on `dir/<name>` (created by `setup(dir)`, which returns the
 * config path), with a captured log and an Envoy-like SotW client that has
 * received the first configuration's clusters (`expect`).
 */
export async function startWatched(setup: (dir: string) => string, expect: readonly string[], options: Partial<XdsServerOptions> = {}): Promise<Watched> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-source-'));
  const configPath = setup(dir);
  const log: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void log.push(line) });
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger, configPath, reloadDebounceMs: TEST_DEBOUNCE_MS, ...options });
  const client = await EnvoyLike.start(server.port, { variant: 'sotw', node: { id: 'source-faults' } });
  const clientClusters = (): string[] => Object.keys(client.view().clusters).sort();
  const waitForClusters = (names: readonly string[], timeoutMs = RELOAD_WAIT_MS): Promise<void> =>
    client.waitUntil(
      () => JSON.stringify(clientClusters()) === JSON.stringify([...names].sort()),
      timeoutMs,
      () => `client holds [${clientClusters().join(', ')}], want [${[...names].sort().join(', ')}]`,
    );
  await waitForClusters(expect);
  // Both wildcard subscriptions answered, so a later response can only come from a change.
  await client.waitUntil(
    () => client.log.some((r) => r.typeUrl === T.LISTENER),
    RELOAD_WAIT_MS,
    () => 'no LDS response',
  );
  return {
    dir,
    configPath,
    server,
    client,
    log,
    async waitForLog(msg, since, timeoutMs = RELOAD_WAIT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const line of log.slice(since)) {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (parsed['msg'] === msg) return parsed;
        }
        if (Date.now() > deadline) throw new Error(`no log line "${msg}" within ${timeoutMs} ms; logged:\n${log.slice(since).join('')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    clientClusters,
    waitForClusters,
    async metric(name, labels) {
      const { body } = await server.internals.metrics.render();
      const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      for (const line of body.split('\n')) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return 0;
    },
    async stop() {
      client.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

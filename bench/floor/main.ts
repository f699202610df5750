/**
 * @module bench/floor/main
 * The floor server's entry point, `node build/bench/floor/main.js --config
 * FILE --port N --host H --log-level L` (our server's flags; unknown ones
 * such as `--admin-port` are ignored), so the bench can start it exactly
 * like ours. It logs the same two pino lines the bench reads: "configuration
 * applied" (with `time`) each time a new config is ready to write, and
 * "ready" once it serves.
 *
 * It encodes the config with our encoder, offline (byte-identical resources);
 * it uses none of our store, push, stream or transport code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { EncodePool } from '../../src/encode';
import { formatProblem, readConfigDocuments } from '../../src/source';
import { FloorServer } from './floor-server';
import { Snapshot } from './snapshot';

/** Quiet period after the last file event before reloading, in ms (the bench's commit time is the log line, not this). */
const RELOAD_DEBOUNCE_MS = 50;
/** Encode worker threads by default (ours uses cores − 1 = 1 on the bench machine). */
const DEFAULT_ENCODE_WORKERS = 1;

interface FloorFlags {
  readonly config: string;
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  readonly workers: number;
}

/** `--name value` and `--name=value`; unknown flags are skipped with their value. */
function parseFlags(argv: readonly string[]): FloorFlags {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq !== -1) {
      values.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      values.set(arg.slice(2), next);
      i++;
    } else {
      values.set(arg.slice(2), 'true');
    }
  }
  const config = values.get('config');
  if (!config) throw new Error('floor: --config FILE is required');
  return {
    config: path.resolve(config),
    port: Number(values.get('port') ?? 18000),
    host: values.get('host') ?? '127.0.0.1',
    logLevel: values.get('log-level') ?? 'info',
    workers: Math.max(1, Number(values.get('workers') ?? DEFAULT_ENCODE_WORKERS) || DEFAULT_ENCODE_WORKERS),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const log = pino({ level: flags.logLevel, base: { service: 'fanout-xds-floor' } });
  const pool = new EncodePool(flags.workers);
  let revision = 0;

  /** Read and encode the config; undefined (logged) when it has problems. */
  const load = async (): Promise<Snapshot | undefined> => {
    const documents = await readConfigDocuments(flags.config);
    const outcome = await pool.encodeDocuments(documents);
    if (outcome.problems.length > 0) {
      log.error({ source: flags.config, problems: outcome.problems.map(formatProblem) }, 'configuration rejected; still serving the last good configuration');
      return undefined;
    }
    return new Snapshot(outcome.resources, ++revision);
  };

  const first = await load();
  if (!first) throw new Error(`floor: ${flags.config} has problems (see the log)`);
  log.info({ source: flags.config, revision: first.revision, resources: first.size }, 'configuration applied');
  const server = new FloorServer(first);
  const port = await server.listen(flags.host, flags.port);
  log.info({ grpcPort: port, config: flags.config }, 'ready');

  let chain: Promise<void> = Promise.resolve();
  const reload = async (): Promise<void> => {
    const next = await load();
    if (!next) return;
    log.info({ source: flags.config, revision: next.revision, resources: next.size }, 'configuration applied');
    const started = process.hrtime.bigint();
    const pushed = server.apply(next);
    log.info(
      {
        revision: next.revision,
        streams: server.streams,
        writes: pushed.writes,
        bytes: pushed.bytes,
        changes: pushed.changes.map((c) => ({ typeUrl: c.typeUrl, changed: c.changed, removed: c.removed })),
        writeMs: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'changes written',
    );
  };
  // Editors replace files by renaming, so a single file is watched through its directory.
  const isDir = fs.statSync(flags.config).isDirectory();
  const dir = isDir ? flags.config : path.dirname(flags.config);
  const base = path.basename(flags.config);
  let timer: NodeJS.Timeout | undefined;
  const watcher = fs.watch(dir, (_event, filename) => {
    if (!isDir && filename !== null && filename !== base) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      chain = chain.then(reload).catch((err: unknown) => log.error({ err }, 'reload failed'));
    }, RELOAD_DEBOUNCE_MS);
  });
  watcher.on('error', (err) => log.error({ err }, 'config watch failed'));

  const shutdown = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    watcher.close();
    clearTimeout(timer);
    server.close();
    void pool.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`floor failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

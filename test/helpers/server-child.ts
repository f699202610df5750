/**
 * @module test/helpers/server-child
 * Entry point of a server child process for memory measurements, which must
 * not share a heap with the hundreds of test clients. The parent forks it
 * with `--expose-gc` and drives it over IPC (see ./child-server): start,
 * set or update resources, report stats and per-stream write
 * backpressure, force a full GC and report `process.memoryUsage()`, stop.
 *
 * `node --test build/test` runs every .js file under test/ as a test file,
 * this one included; without an IPC channel it does nothing and exits.
 */
import { createXdsServer } from '../../src/index';
import type { XdsServerWithInternals } from '../../src/index';
import { silentLogger } from '../../src/observe/logger';
import type { ResourceJson, XdsServerOptions } from '../../src/api-types';

/** Server options that cross the IPC channel (plain data: no logger, no TLS buffers). */
export type ChildServerOptions = Omit<XdsServerOptions, 'logger' | 'tls'>;

/** A command from the parent. */
export type ChildCommand =
  | { readonly op: 'start'; readonly options: ChildServerOptions }
  | { readonly op: 'set'; readonly resources: readonly ResourceJson[] }
  | { readonly op: 'update'; readonly upsert: readonly ResourceJson[] }
  | { readonly op: 'stats' }
  | { readonly op: 'memory' }
  | { readonly op: 'streams' }
  | { readonly op: 'metrics' }
  | { readonly op: 'stop' };

/** Envelope on the IPC channel. */
export interface ChildRequest {
  readonly id: number;
  readonly command: ChildCommand;
}

/** Reply on the IPC channel. */
export interface ChildReply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

/** Full collections until the heap stops shrinking, so a reading is not an accident of GC timing. */
async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('server-child needs --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

let server: XdsServerWithInternals | undefined;

async function handle(command: ChildCommand): Promise<unknown> {
  switch (command.op) {
    case 'start':
      server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger: silentLogger(), allowDanglingReferences: true, ...command.options });
      return { port: server.port };
    case 'set': {
      const r = await need().setResources(command.resources);
      if (!r.ok) throw new Error(r.message);
      return r;
    }
    case 'update': {
      const r = await need().updateResources({ upsert: command.upsert });
      if (!r.ok) throw new Error(r.message);
      return r;
    }
    case 'stats':
      return need().stats();
    case 'streams':
      return [...need().internals.streams].map((st) => ({ id: st.node?.id ?? '', variant: st.variant, blocked: st.blocked, unflushedBytes: st.unflushedBytes }));
    case 'metrics':
      return (await need().internals.metrics.render()).body;
    case 'memory':
      await collect();
      return process.memoryUsage();
    case 'stop':
      await server?.stop();
      server = undefined;
      setImmediate(() => process.exit(0));
      return null;
  }
}

function need(): XdsServerWithInternals {
  if (!server) throw new Error('server not started');
  return server;
}

if (process.send) {
  process.on('message', (msg: ChildRequest) => {
    handle(msg.command).then(
      (value) => process.send?.({ id: msg.id, ok: true, value } satisfies ChildReply),
      (err: unknown) => process.send?.({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ChildReply),
    );
  });
  // The parent going away must not leave a server behind.
  process.on('disconnect', () => process.exit(0));
}

/**
 * @module test/helpers/harness
 * Per-suite plumbing for protocol tests: one server per suite (starting a
 * server costs a worker pool and the proto root, so tests share it and
 * reset its resources instead), clients tracked per test and closed after
 * it, and every client's invariant violations turned into a test failure.
 */
import { after, afterEach, before } from 'node:test';
import type { XdsServerOptions } from '../../src/api-types';
import { AdsClient } from './ads-client';
import type { ConnectOptions, Variant } from './ads-client';
import { startServer } from './server';
import type { TestServer } from './server';

/** What a protocol test gets from {@link useHarness}. */
export interface Harness {
  readonly variant: Variant;
  /** The suite's server (started in `before`). */
  readonly ts: TestServer;
  /** Open a stream of the suite's variant to the suite's server; closed after the test. */
  connect(options?: Partial<ConnectOptions>): Promise<AdsClient>;
  /** Same, to another server (e.g. a second one started by the test). */
  connectTo(port: number, options?: Partial<ConnectOptions>): Promise<AdsClient>;
  /** Register something to close after the test (extra servers, scripted clients). */
  onCleanup(fn: () => unknown): void;
}

/** Register before/after hooks in the current suite and return its harness. */
export function useHarness(variant: Variant, serverOptions: XdsServerOptions = {}): Harness {
  let server: TestServer | undefined;
  let clients: AdsClient[] = [];
  let cleanups: (() => unknown)[] = [];

  before(async () => {
    server = await startServer(serverOptions);
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    const open = clients;
    clients = [];
    const fns = cleanups;
    cleanups = [];
    for (const c of open) c.close();
    for (const fn of fns.reverse()) await fn();
    const violations = open.flatMap((c) => c.violations.map((v) => `${c.path}: ${v}`));
    if (violations.length > 0) throw new Error(`protocol invariant violations:\n  ${violations.join('\n  ')}`);
  });

  const connectTo = async (port: number, options: Partial<ConnectOptions> = {}): Promise<AdsClient> => {
    const c = await AdsClient.connect(port, { variant, ...options });
    clients.push(c);
    return c;
  };
  return {
    variant,
    get ts(): TestServer {
      if (!server) throw new Error('server not started');
      return server;
    },
    connect: (options) => connectTo(server?.port ?? 0, options),
    connectTo,
    onCleanup: (fn) => cleanups.push(fn),
  };
}

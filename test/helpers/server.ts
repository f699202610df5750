/**
 * @module test/helpers/server
 * Starts the real server (the public `createXdsServer`) on 127.0.0.1, port
 * 0, one encode worker, silent logger: what protocol and e2e tests run
 * against. Re-exports the resource builders so a test imports one module.
 */
import type { ResourceJson, XdsServer, XdsServerOptions } from '../../src/api-types';
import { createXdsServer } from '../../src/index';
import { silentLogger } from '../../src/observe/logger';

export * from './resources';

/** A started server plus what tests need to reach it. */
export interface TestServer {
  readonly server: XdsServer;
  readonly port: number;
  /** Replace every resource (default group); fails the test if the batch is rejected. */
  set(resources: readonly ResourceJson[]): Promise<void>;
  /** Upsert and remove in one batch; fails the test if rejected. */
  update(change: { upsert?: readonly ResourceJson[]; remove?: readonly { typeUrl: string; name: string }[] }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start a server. Dangling references are allowed by default: protocol tests
 * often subscribe to a cluster's endpoints before (or without) creating them,
 * which is a config question, not a protocol one.
 */
export async function startServer(options: XdsServerOptions & { resources?: readonly ResourceJson[] } = {}): Promise<TestServer> {
  const { resources, ...rest } = options;
  const server = await createXdsServer({
    port: 0,
    host: '127.0.0.1',
    workers: 1,
    logger: silentLogger(),
    allowDanglingReferences: true,
    ...rest,
  });
  const set = async (list: readonly ResourceJson[]): Promise<void> => {
    const result = await server.setResources(list);
    if (!result.ok) throw new Error(`server rejected test resources: ${result.message}`);
  };
  if (resources) await set(resources);
  return {
    server,
    port: server.port,
    set,
    async update(change) {
      const result = await server.updateResources(change);
      if (!result.ok) throw new Error(`server rejected test update: ${result.message}`);
    },
    stop: () => server.stop(),
  };
}

/** Poll `cond` every 10 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sleep, for the few places a test must let time pass. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

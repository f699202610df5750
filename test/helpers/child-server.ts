/**
 * @module test/helpers/child-server
 * Parent side of ./server-child: forks the server into its own process with
 * `--expose-gc` so its memory can be measured cleanly (forced full GC, then
 * `process.memoryUsage()`), away from the test's clients.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ResourceJson, ServerStats } from '../../src/api-types';
import type { ChildCommand, ChildReply, ChildServerOptions } from './server-child';

const COMMAND_TIMEOUT_MS = 30_000;
const MIB = 1024 * 1024;

/** `process.memoryUsage()` of the child, after forced GC. */
export type Memory = NodeJS.MemoryUsage;

/** Heap plus off-heap (Buffers): what a server keeps for its streams. */
export function retainedBytes(m: Memory): number {
  return m.heapUsed + m.external;
}

/** Bytes as MiB with one decimal, for logs. */
export function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/** A server running in a child process. */
export class ChildServer {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #exited = false;
  port = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (reply: ChildReply) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new Error(`server child: ${reply.error}`));
    });
    child.on('exit', (code, signal) => {
      this.#exited = true;
      for (const p of this.#pending.values()) p.reject(new Error(`server child exited (${code ?? signal})`));
      this.#pending.clear();
    });
  }

  /** Fork the child and start a server in it on 127.0.0.1, port 0. */
  static async start(options: ChildServerOptions = {}): Promise<ChildServer> {
    const child = fork(path.join(__dirname, 'server-child.js'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const server = new ChildServer(child);
    try {
      const { port } = (await server.#request({ op: 'start', options })) as { port: number };
      server.port = port;
      return server;
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  /** Replace every resource. */
  async set(resources: readonly ResourceJson[]): Promise<void> {
    await this.#request({ op: 'set', resources });
  }

  /** Upsert resources. */
  async update(upsert: readonly ResourceJson[]): Promise<void> {
    await this.#request({ op: 'update', upsert });
  }

  /** The server's counters. */
  async stats(): Promise<ServerStats> {
    return (await this.#request({ op: 'stats' })) as ServerStats;
  }

  /** Every open stream: node id, variant, whether its write buffer is full, and its bytes written but not flushed. */
  async streams(): Promise<{ id: string; variant: string; blocked: boolean; unflushedBytes: number }[]> {
    return (await this.#request({ op: 'streams' })) as { id: string; variant: string; blocked: boolean; unflushedBytes: number }[];
  }

  /** The Prometheus text of the child's `/metrics`. */
  async metrics(): Promise<string> {
    return (await this.#request({ op: 'metrics' })) as string;
  }

  /** Memory after forced full GC. */
  async memory(): Promise<Memory> {
    return (await this.#request({ op: 'memory' })) as Memory;
  }

  /** Stop the server and let the child exit; kills it if it does not. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    try {
      await this.#request({ op: 'stop' });
    } catch {
      /* killed below if still alive */
    }
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  #request(command: ChildCommand): Promise<unknown> {
    if (this.#exited) return Promise.reject(new Error('server child has exited'));
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`server child did not answer ${command.op} within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#child.send({ id, command });
    });
  }
}

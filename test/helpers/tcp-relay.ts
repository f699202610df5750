/**
 * @module test/fault/tcp-relay
 * A loopback TCP relay in front of a real service (here etcd), so a test can
 * cut one client off while every other client keeps its direct connection:
 * a network partition between one replica and etcd, without stopping etcd.
 * It forwards bytes both ways and nothing else; `cut()` resets every
 * relayed connection and refuses new ones until `restore()`.
 */
import * as net from 'node:net';

/** A relay from a loopback port to `127.0.0.1:targetPort`. */
export class TcpRelay {
  readonly #server: net.Server;
  readonly #targetPort: number;
  readonly #sockets = new Set<net.Socket>();
  #open = true;

  private constructor(server: net.Server, targetPort: number) {
    this.#server = server;
    this.#targetPort = targetPort;
    server.on('connection', (socket) => this.#relay(socket));
  }

  /** Listen on a free loopback port. */
  static async start(targetPort: number): Promise<TcpRelay> {
    const server = net.createServer();
    const relay = new TcpRelay(server, targetPort);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return relay;
  }

  /** The relay's own port: give clients `http://127.0.0.1:<port>`. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Reset every relayed connection and refuse new ones (connections are accepted, then reset at once). */
  cut(): void {
    this.#open = false;
    for (const s of this.#sockets) s.resetAndDestroy();
    this.#sockets.clear();
  }

  /** Relay new connections again. */
  restore(): void {
    this.#open = true;
  }

  /** Stop listening and drop every connection. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #relay(client: net.Socket): void {
    if (!this.#open) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.#targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.#sockets.delete(s);
        // One side gone: the other follows, as a dropped TCP path would take both.
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/**
 * @module cluster/handed-connections
 * The serving process's end of the primary's connection hand-off
 * (./connection-handoff.ts): the connections that arrive over IPC, and the
 * address the primary accepted them on, which the primary puts in the
 * environment of every process it forks.
 */
import * as net from 'node:net';
import { isHandedConnectionMessage } from './messages';

/** Environment variable with the primary's bound xDS address, as JSON `{ port, host }`. */
export const XDS_ADDRESS_ENV = 'FANOUT_XDS_PRIMARY_ADDRESS';

/** The environment entry that tells a serving process where its primary listens. */
export function xdsAddressEnv(address: { port: number; host: string }): Record<string, string> {
  return { [XDS_ADDRESS_ENV]: JSON.stringify({ port: address.port, host: address.host }) };
}

/** The connections the primary hands this serving process (shaped as the server's `connectionSource` option). */
export function handedConnections(): { port: number; host: string; start(take: (socket: net.Socket) => void): void } {
  const raw = process.env[XDS_ADDRESS_ENV];
  const address = raw === undefined ? undefined : (JSON.parse(raw) as { port?: unknown; host?: unknown });
  if (typeof address?.port !== 'number' || typeof address.host !== 'string') {
    throw new Error(`${XDS_ADDRESS_ENV} is ${raw === undefined ? 'unset' : `"${raw}"`}: a serving process must be forked by a fanout-xds --processes primary`);
  }
  return {
    port: address.port,
    host: address.host,
    start(take) {
      process.on('message', (message: unknown, handle: unknown) => {
        if (isHandedConnectionMessage(message) && handle instanceof net.Socket) take(handle);
      });
    },
  };
}

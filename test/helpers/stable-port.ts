/**
 * @module test/helpers/stable-port
 * A free port for a test that stops a server and starts another on the same
 * port. A port the kernel picked (`--port 0`) comes from the ephemeral range,
 * which is also where every outgoing connection on the machine takes its
 * local port: while the server is down, another process's connection, or
 * one of the test's own reconnecting clients (a loopback connect can be
 * given the very port it dials and connect to itself), may take it, and the
 * restart fails with EADDRINUSE. Ports below the ephemeral range are never
 * handed out that way.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';

/** Lowest ephemeral port when the kernel does not say (Linux's default; macOS starts at 49152). */
const DEFAULT_EPHEMERAL_LOW = 32_768;
/** Below this are well-known and registered ports that services on the machine may use. */
const LOWEST = 10_000;

/** The first port of the kernel's ephemeral range. */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * A port below the ephemeral range that nothing listens on now on `host`.
 * Another listener may still take it before the caller binds: callers retry
 * on EADDRINUSE.
 */
export async function portOutsideEphemeralRange(host = '127.0.0.1'): Promise<number> {
  const high = ephemeralLow();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (await isFree(host, port)) return port;
  }
  throw new Error(`no free port on ${host} between ${LOWEST} and ${high} in 100 tries; is something holding them?`);
}

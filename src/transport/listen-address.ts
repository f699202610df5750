/**
 * @module transport/listen-address
 * Binds the gRPC listening socket. By default it listens dual-stack on `::`
 * (IPv4 arrives IPv4-mapped), because Envoy bootstraps that name `localhost`
 * resolve it to `::1` first on most hosts and would never reach a server
 * bound to `0.0.0.0` only. Hosts without IPv6 fall back to `0.0.0.0`.
 */
import type * as net from 'node:net';
import type { Logger } from 'pino';

/** Default bind address: every IPv6 and (mapped) IPv4 address. */
export const DEFAULT_HOST = '::';
/** Where the default falls back to when the host has no IPv6. */
export const IPV4_FALLBACK_HOST = '0.0.0.0';

/** Errors `listen('::')` gives on a host without IPv6 (kernel without it, or disabled). */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

/** `host:port` with IPv6 literals in brackets, for logs and errors. */
export function formatAddress(host: string, port: number | string): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function listenOnce(server: net.Server, port: number, host: string, backlog: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    // ipv6Only false: `::` also takes IPv4 (libuv clears IPV6_V6ONLY whatever the sysctl default).
    server.listen({ port, host, backlog, ipv6Only: false }, () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? bound.port : 0);
    });
  });
}

/**
 * Listen on `host`, or by default on `::` dual-stack, falling back to
 * `0.0.0.0` (with a log line) where IPv6 is unavailable. Resolves with the
 * bound port and host; rejects with the listen error.
 */
export async function listenOn(server: net.Server, options: { port: number; host: string | undefined; backlog: number; log: Logger }): Promise<{ port: number; host: string }> {
  const { port, backlog, log } = options;
  if (options.host !== undefined) return { port: await listenOnce(server, port, options.host, backlog), host: options.host };
  try {
    return { port: await listenOnce(server, port, DEFAULT_HOST, backlog), host: DEFAULT_HOST };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!NO_IPV6.has(code)) throw err;
    log.warn({ code }, `IPv6 is not available here (${code}); listening on ${IPV4_FALLBACK_HOST} only. Envoy bootstraps must then name 127.0.0.1 (not localhost) or set dns_lookup_family: V4_ONLY`);
    return { port: await listenOnce(server, port, IPV4_FALLBACK_HOST, backlog), host: IPV4_FALLBACK_HOST };
  }
}

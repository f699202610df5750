/**
 * @module bench/loopback
 * Enough loopback 4-tuples for a large fleet. Every simulated node is one
 * TCP connection from 127.0.0.1 to the server's port, and Linux gives each
 * connection to one destination address and port its own ephemeral source
 * port: net.ipv4.ip_local_port_range (32768–60999 by default, 28,232 ports)
 * caps one destination at fewer than 30,000 connections, and connect() then
 * fails with EADDRNOTAVAIL. grpc-js cannot bind a client's source address,
 * so the bench spreads the destination instead: the server listens on
 * 0.0.0.0 and the nodes connect to 127.0.0.1, 127.0.0.2, … (all of 127/8 is
 * loopback on Linux), each address with its own range of source ports.
 */
import * as fs from 'node:fs';

/** Share of the ephemeral range one destination is given; the rest is margin for other traffic and TIME_WAIT. */
const PORT_BUDGET_SHARE = 0.8;
/** Linux's default net.ipv4.ip_local_port_range, used when it cannot be read. */
const DEFAULT_RANGE: readonly [number, number] = [32768, 60999];
/** The address the bench's servers listen on when one destination is enough. */
export const LOOPBACK_HOST = '127.0.0.1';
/** Listen address when the fleet needs several loopback destinations. */
const ALL_IPV4_HOST = '0.0.0.0';

/** Ephemeral ports this machine gives outgoing connections (count of net.ipv4.ip_local_port_range). */
export function ephemeralPortCount(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): number {
  let [lo, hi] = DEFAULT_RANGE;
  try {
    const parts = fs.readFileSync(rangeFile, 'utf8').trim().split(/\s+/).map(Number);
    if (parts.length === 2 && parts.every(Number.isInteger) && (parts[1] as number) >= (parts[0] as number)) [lo, hi] = parts as [number, number];
  } catch {
    /* not Linux, or no /proc: assume the default range */
  }
  return hi - lo + 1;
}

/** How many loopback destination addresses `connections` to one server port need. */
export function loopbackAddressesFor(connections: number, ports = ephemeralPortCount()): number {
  const perAddress = Math.max(1, Math.floor(ports * PORT_BUDGET_SHARE));
  const n = Math.max(1, Math.ceil(connections / perAddress));
  if (n > 254) throw new Error(`${connections} connections to one port need ${n} loopback addresses (${perAddress} each); widen net.ipv4.ip_local_port_range or use --replicas`);
  return n;
}

/** The address a server must listen on to be reached on `addresses` loopback addresses. */
export function listenHostFor(addresses: number): string {
  return addresses > 1 ? ALL_IPV4_HOST : LOOPBACK_HOST;
}

/**
 * The fleet's target list for servers on `ports`, each reached on `addresses`
 * loopback addresses, ordered address by address so that node i (which
 * starts on entry i mod n) still lands on replica i mod replicas, and a node
 * whose stream ends moves on to the next replica as before.
 */
export function spreadTargets(ports: readonly number[], addresses: number): string {
  const targets: string[] = [];
  for (let a = 1; a <= addresses; a++) for (const port of ports) targets.push(`127.0.0.${a}:${port}`);
  return targets.join(',');
}

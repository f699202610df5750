/**
 * @module transport/csds-access
 * Who may see what over CSDS. The answer shows every node's configuration,
 * so it must not be a side door around the identity check:
 *
 * 1. A caller whose client certificate has a SAN matching the admin pattern
 *    (`--csds-admin-san-regex`) sees every node.
 * 2. Otherwise, when identities are configured (`--node-id-san-regex` or
 *    `--csds-admin-san-regex`), a caller sees only the node its certificate
 *    names (with `--node-id-san-regex`), or nothing.
 * 3. With no identities configured, only callers on a loopback address are
 *    answered (every node), unless `--csds-allow-remote` says otherwise.
 *
 * Sensitive fields (Secrets' keys) are redacted for everyone: see
 * xds/redact.ts.
 */
import * as net from 'node:net';
import type { CallWithAuth } from './identity';
import { certificateSans, identityFromSans } from './identity';

/** How CSDS callers are told apart. */
export interface CsdsAccessOptions {
  /** The node identity pattern of the xDS port (`--node-id-san-regex`). */
  readonly nodeIdSanPattern?: string;
  /** SANs matching this see every node (`--csds-admin-san-regex`); needs mTLS. */
  readonly adminSanPattern?: string;
  /** With no identities configured, answer callers on any address, not only loopback. */
  readonly allowRemote?: boolean;
}

/** What one caller may see: every node, one node id, or nothing (with the reason). */
export type CsdsView = { readonly ok: true; readonly nodeId: string | undefined; readonly who: string } | { readonly ok: false; readonly message: string };

/** A server call as far as access needs it. */
export type CsdsCaller = CallWithAuth & { getPeer(): string };

/**
 * Whether a peer string as grpc-js gives it (`address:port`, IPv6 without
 * brackets) is a loopback address: 127.0.0.0/8, ::1, or IPv4-mapped
 * 127.x. Anything unparseable is not loopback.
 */
export function isLoopbackPeer(peer: string): boolean {
  let address = peer.replace(/:\d+$/, '');
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const kind = net.isIP(address);
  if (kind === 4) return address.startsWith('127.');
  if (kind !== 6) return false;
  const lower = address.toLowerCase();
  if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^(?:0:0:0:0:0|):ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower.replace(/^::/, ':'));
  return mapped !== null && mapped[1] !== undefined && mapped[1].startsWith('127.');
}

/** Build the access decision for one server's options. */
export function csdsAccess(options: CsdsAccessOptions): (call: CsdsCaller) => CsdsView {
  const nodePattern = options.nodeIdSanPattern !== undefined ? new RegExp(options.nodeIdSanPattern) : undefined;
  const adminPattern = options.adminSanPattern !== undefined ? new RegExp(options.adminSanPattern) : undefined;
  const identitiesConfigured = nodePattern !== undefined || adminPattern !== undefined;
  return (call) => {
    let peer = 'unknown';
    try {
      peer = call.getPeer();
    } catch {
      /* stays unknown: not loopback */
    }
    if (identitiesConfigured) {
      const sans = certificateSans(call);
      if (adminPattern) {
        const admin = sans.find((san) => adminPattern.test(san));
        if (admin !== undefined) return { ok: true, nodeId: undefined, who: `admin ${admin}` };
      }
      const found = nodePattern ? identityFromSans(nodePattern, sans) : undefined;
      if (found) return { ok: true, nodeId: found.identity, who: `node ${found.identity}` };
      return {
        ok: false,
        message: nodePattern
          ? `CSDS answers a caller about the node its client certificate names (--node-id-san-regex), or about every node if a SAN matches --csds-admin-san-regex; this certificate matches neither`
          : `CSDS needs a client certificate with a SAN matching --csds-admin-san-regex`,
      };
    }
    if (options.allowRemote || isLoopbackPeer(peer)) return { ok: true, nodeId: undefined, who: `peer ${peer}` };
    return {
      ok: false,
      message: `CSDS answers only loopback callers when no identities are configured (caller ${peer}); configure mTLS with --node-id-san-regex and --csds-admin-san-regex, or accept remote callers with --csds-allow-remote`,
    };
  };
}

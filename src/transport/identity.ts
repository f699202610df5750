/**
 * @module transport/identity
 * Optional check that a node is who its client certificate says it is: the
 * node id must equal what a regular expression extracts from one of the
 * certificate's subject alternative names (e.g. a SPIFFE id URI). CSDS uses
 * the same extraction to decide whose status a caller may see.
 */
import type * as grpc from '@grpc/grpc-js';
import { clientString } from '../observe/client-string';

/** Outcome of the identity check. */
export type IdentityVerdict = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Any server call: only its TLS auth context is read. */
export type CallWithAuth = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;

/**
 * The verified client certificate's subject alternative names, without their
 * `URI:`/`DNS:`/`IP Address:`/`email:` prefixes; empty without a certificate.
 */
export function certificateSans(call: CallWithAuth): string[] {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  return (cert?.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^(URI|DNS|IP Address|email):/, ''))
    .filter((s) => s !== '');
}

/** What `pattern` extracts from the first SAN it matches: group 1, else the whole match. */
export function identityFromSans(pattern: RegExp, sans: readonly string[]): { readonly identity: string; readonly san: string } | undefined {
  for (const san of sans) {
    const m = pattern.exec(san);
    if (m) return { identity: m[1] ?? m[0], san };
  }
  return undefined;
}

/**
 * Build a checker. `sanPattern` is applied to every SAN (`URI:…`, `DNS:…`
 * values without their prefix); the first match's group 1 (or whole match)
 * must equal the node id.
 */
export function identityChecker(sanPattern: string): (call: CallWithAuth, nodeId: string) => IdentityVerdict {
  const pattern = new RegExp(sanPattern);
  return (call, nodeId) => {
    const sans = certificateSans(call);
    if (sans.length === 0) return { ok: false, message: 'the identity check needs a client certificate with a subject alternative name' };
    const found = identityFromSans(pattern, sans);
    if (!found) return { ok: false, message: `no subject alternative name of the client certificate matches ${sanPattern}` };
    if (found.identity === nodeId) return { ok: true };
    return { ok: false, message: `node id "${clientString(nodeId)}" does not match the client certificate identity "${found.identity}" (from SAN ${found.san})` };
  };
}

/**
 * @module transport/identity
 * Optional check that a node is who its client certificate says it is: the
 * node id must equal what a regular expression extracts from one of the
 * certificate's subject alternative names (e.g. a SPIFFE id URI).
 */
import type * as grpc from '@grpc/grpc-js';
import { clientString } from '../observe/client-string';

/** Outcome of the identity check. */
export type IdentityVerdict = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * Build a checker. `sanPattern` is applied to every SAN (`URI:…`, `DNS:…`
 * values without their prefix); the first match's group 1 (or whole match)
 * must equal the node id.
 */
export function identityChecker(sanPattern: string): (call: grpc.ServerDuplexStream<Buffer, Buffer>, nodeId: string) => IdentityVerdict {
  const pattern = new RegExp(sanPattern);
  return (call, nodeId) => {
    const cert = call.getAuthContext()?.sslPeerCertificate;
    const sans = (cert?.subjectaltname ?? '')
      .split(',')
      .map((s) => s.trim().replace(/^(URI|DNS|IP Address|email):/, ''))
      .filter((s) => s !== '');
    if (!cert || sans.length === 0) return { ok: false, message: 'the identity check needs a client certificate with a subject alternative name' };
    for (const san of sans) {
      const m = pattern.exec(san);
      if (!m) continue;
      const expected = m[1] ?? m[0];
      if (expected === nodeId) return { ok: true };
      return { ok: false, message: `node id "${clientString(nodeId)}" does not match the client certificate identity "${expected}" (from SAN ${san})` };
    }
    return { ok: false, message: `no subject alternative name of the client certificate matches ${sanPattern}` };
  };
}

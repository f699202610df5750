/**
 * @module encode/content-hash
 * Content-addressed versions (DESIGN.md principle 2): a resource's version is
 * a hash of its deterministic encoding, so every replica and every restart
 * gives the same content the same version and a reconnecting Envoy's
 * `initial_resource_versions` saves real traffic.
 */
import { createHash } from 'node:crypto';

/** Characters of base64url kept: 16 chars = 96 bits, ample against collisions. */
const VERSION_CHARS = 16;

/** Version string for encoded bytes. */
export function contentVersion(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, VERSION_CHARS);
}

/** Version of an ordered list of versions (a SotW response's `version_info`). */
export function combinedVersion(parts: Iterable<string>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\n');
  return hash.digest('base64url').slice(0, VERSION_CHARS);
}

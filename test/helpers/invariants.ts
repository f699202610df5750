/**
 * @module test/helpers/invariants
 * Checks every response must pass, whatever the test is about. The test
 * client runs them on each response it receives and records violations, so
 * a test fails on a protocol slip even when it was looking elsewhere.
 *
 * Rules (docs/protocol.md):
 *  - A3: response type_url, and every inner Any.type_url, equal a type the
 *    client requested on this stream; the SotW `Resource` wrapper only for
 *    clients advertising resource-in-sotw.
 *  - A5 / C18: a non-empty nonce, unique within the stream.
 *  - C19: a delta Resource carries name and version.
 *  - C23: no name twice in `resources`, nor in `removed_resources`, nor in both.
 *  - C25: no `ttl` (and no body-less heartbeat) for a client without
 *    `xds.config.supports-resource-ttl`.
 */
import type { Received } from './xds-codec';

/** Client features that allow the SotW Resource wrapper (XP and DP spell it differently; accept both). */
export const RESOURCE_IN_SOTW_FEATURES = ['xds.config.resource-in-sotw', 'xds.config.supports-resource-in-sotw'] as const;
/** Client feature that allows TTLs and heartbeats. */
export const TTL_FEATURE = 'xds.config.supports-resource-ttl';

const VIRTUAL_HOST_TYPE = 'type.googleapis.com/envoy.config.route.v3.VirtualHost';

/** What the checker needs to know about the stream a response arrived on. */
export interface StreamFacts {
  readonly requestedTypes: ReadonlySet<string>;
  /** Nonces already seen on this stream; the checker adds the new one. */
  readonly seenNonces: Set<string>;
  readonly clientFeatures: readonly string[];
}

function duplicates(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return [...dup];
}

/** Violations found in one response (empty when it is clean). */
export function checkResponse(r: Received, facts: StreamFacts): string[] {
  const out: string[] = [];
  const where = `response #${r.index} (${r.typeUrl || 'no type_url'}, nonce "${r.nonce}")`;
  const sotwWrapperAllowed = RESOURCE_IN_SOTW_FEATURES.some((f) => facts.clientFeatures.includes(f));
  const ttlAllowed = facts.clientFeatures.includes(TTL_FEATURE);

  if (r.typeUrl === '') out.push(`A3: ${where} has an empty type_url`);
  else if (!facts.requestedTypes.has(r.typeUrl)) out.push(`A3: ${where} has a type_url the client never requested on this stream`);

  if (r.nonce === '') out.push(`A5: ${where} has an empty nonce`);
  else if (facts.seenNonces.has(r.nonce)) out.push(`A5: ${where} reuses nonce "${r.nonce}" already sent on this stream`);
  else facts.seenNonces.add(r.nonce);

  for (const res of r.resources) {
    const label = `${where} resource "${res.name}"`;
    for (const p of res.problems) out.push(`A3: ${label}: ${p}`);
    if (res.name === '') out.push(`C19: ${where} carries a resource without a name`);
    if (res.typeUrl !== undefined && res.typeUrl !== r.typeUrl) {
      out.push(`A3: ${label} has inner type_url "${res.typeUrl}" inside a ${r.typeUrl} response`);
    }
    if (res.wrapped && !sotwWrapperAllowed) out.push(`A3: ${label} is wrapped in discovery Resource for a client without resource-in-sotw`);
    if (res.ttl && !ttlAllowed) out.push(`C25: ${label} carries ttl ${res.ttl.seconds}s for a client without ${TTL_FEATURE}`);
    if (r.variant === 'delta') {
      const aliasPlaceholder = r.typeUrl === VIRTUAL_HOST_TYPE && res.aliases.includes(res.name);
      if (res.typeUrl === undefined && !aliasPlaceholder && !ttlAllowed) {
        out.push(`C25: ${label} has no body (a heartbeat) for a client without ${TTL_FEATURE}`);
      }
      if (!res.version && !aliasPlaceholder) out.push(`C19: ${label} has no version`);
    } else if (res.typeUrl === undefined) {
      out.push(`A3: ${label} has no body`);
    }
  }

  for (const d of duplicates(r.names)) out.push(`C23: ${where} lists "${d}" twice in resources`);
  for (const d of duplicates(r.removed)) out.push(`C23: ${where} lists "${d}" twice in removed_resources`);
  const names = new Set(r.names);
  for (const n of r.removed) if (names.has(n)) out.push(`C23: ${where} lists "${n}" in both resources and removed_resources`);
  return out;
}

/**
 * @module stream/sotw-transitions
 * When a cluster is added, every SotW Envoy sends the same new 1001-name EDS
 * list, coming from the same old list. The first stream decodes and diffs it;
 * the rest replay that result. Keys are the interned list bytes (one Buffer
 * object per distinct list), so lookups are by identity and entries vanish
 * with the lists.
 */
import type { SotwTransition } from './subscription';

// Per type: the same bytes can be a CDS list and an EDS list, and `*` means wildcard only for some types.
const byType = new Map<string, WeakMap<Buffer, WeakMap<Buffer, SotwTransition>>>();

/** A recorded transition of `typeUrl` from list `from` to list `to`, if any. */
export function findTransition(typeUrl: string, from: Buffer | undefined, to: Buffer | undefined): SotwTransition | undefined {
  if (!from || !to) return undefined;
  return byType.get(typeUrl)?.get(from)?.get(to);
}

/** Record a transition for other streams. */
export function recordTransition(typeUrl: string, from: Buffer | undefined, to: Buffer | undefined, t: SotwTransition | undefined): void {
  if (!from || !to || !t) return;
  let transitions = byType.get(typeUrl);
  if (!transitions) byType.set(typeUrl, (transitions = new WeakMap()));
  let byTarget = transitions.get(from);
  if (!byTarget) transitions.set(from, (byTarget = new WeakMap()));
  byTarget.set(to, t);
}

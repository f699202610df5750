/**
 * @module stream/share-keys
 * Keys that say "this response body is byte-for-byte the same as another
 * stream's", so the transport builds it once and shares it (DESIGN.md
 * principle 1). Object keys live in WeakMaps and vanish with their view;
 * string keys name small change sets by their resources' versions.
 */
import type { EncodedResource } from '../encode';
import type { TypeView } from '../store';

const viewKeys = new WeakMap<TypeView, Map<string, object>>();

/**
 * Key for "every resource of this immutable view, as a response of this
 * type and variant". The type is part of the key because empty views are
 * one shared object for every type.
 */
export function wholeView(view: TypeView, variant: 'sotw' | 'delta', typeUrl: string): object {
  let byType = viewKeys.get(view);
  if (!byType) viewKeys.set(view, (byType = new Map()));
  const id = `${variant} ${typeUrl}`;
  let key = byType.get(id);
  if (!key) byType.set(id, (key = {}));
  return key;
}

/** Key for a small explicit set of resources (and removed names, for delta). */
export function sharedKeyFor(variant: string, typeUrl: string, resources: readonly Pick<EncodedResource, 'name' | 'version'>[], removed: readonly string[] = []): string {
  const parts = resources.map((r) => `${r.name}\u0001${r.version}`);
  parts.sort();
  const gone = [...removed].sort();
  return `${variant}\u0000${typeUrl}\u0000${parts.join('\u0002')}\u0000${gone.join('\u0002')}`;
}

/**
 * Key for a small SotW partial response. Its `version_info` is the version
 * of the receiving stream's whole subscribed state (state-version.ts), which
 * streams with other name sets do not share: the version is part of the key,
 * so one body is built per (change, state) and is right for every stream
 * that takes it.
 */
export function sotwPartialKey(typeUrl: string, resources: readonly Pick<EncodedResource, 'name' | 'version'>[], versionInfo: string): string {
  return `${sharedKeyFor('sotw', typeUrl, resources)}\u0000${versionInfo}`;
}

/**
 * @module stream/share-keys
 * Keys that say "this response body is byte-for-byte the same as another
 * stream's", so the transport builds it once and shares it (DESIGN.md
 * principle 1). Whole-view keys are objects held in a WeakMap per view
 * (owned by the server's FanoutMemo) and vanish with their view; small
 * change sets get string keys naming their resources' versions.
 */
import type { EncodedResource } from '../encode';
import type { TypeView } from '../store';

/** Responses with more resources (plus removed names) than this get no string key: building the key costs more than it saves. */
export const SHARE_LIMIT_NAMES = 64;

type Versioned = Pick<EncodedResource, 'name' | 'version'>;

/** One key object per (immutable view, variant, type): "every resource of this view, as a response". */
export class WholeViewKeys {
  readonly #byView = new WeakMap<TypeView, Map<string, object>>();
  #made = 0;

  /** Keys made since the server started (entries go with their views, so a live count is not knowable). */
  get made(): number {
    return this.#made;
  }

  /**
   * Key for "every resource of this immutable view, as a response of this
   * type and variant". The type is part of the key because empty views are
   * one shared object for every type.
   */
  key(view: TypeView, variant: 'sotw' | 'delta', typeUrl: string): object {
    let byType = this.#byView.get(view);
    if (!byType) this.#byView.set(view, (byType = new Map()));
    const id = `${variant} ${typeUrl}`;
    let key = byType.get(id);
    if (!key) {
      byType.set(id, (key = {}));
      this.#made++;
    }
    return key;
  }
}

function keyOfSet(variant: string, typeUrl: string, resources: readonly Versioned[], removed: readonly string[]): string {
  const parts = resources.map((r) => `${r.name}\u0001${r.version}`);
  parts.sort();
  const gone = [...removed].sort();
  return `${variant}\u0000${typeUrl}\u0000${parts.join('\u0002')}\u0000${gone.join('\u0002')}`;
}

/**
 * Keys of one-resource delta responses, by the (immutable, stored) resource:
 * an update fan-out asks for the same key once per stream, and building the
 * string each time cost several allocations per stream. Entries go with
 * their resources.
 */
const singleDeltaKeys = new WeakMap<Versioned, { readonly typeUrl: string; readonly key: string }>();

/** Key for a small delta response (its resources and removed names), or undefined past {@link SHARE_LIMIT_NAMES}. */
export function deltaChangeKey(typeUrl: string, resources: readonly Versioned[], removed: readonly string[]): string | undefined {
  if (resources.length + removed.length > SHARE_LIMIT_NAMES) return undefined;
  if (resources.length !== 1 || removed.length !== 0) return keyOfSet('delta', typeUrl, resources, removed);
  const r = resources[0] as Versioned;
  const memo = singleDeltaKeys.get(r);
  // The type is checked, not assumed: an empty-named resource object could in principle be shared across types.
  if (memo?.typeUrl === typeUrl) return memo.key;
  const key = keyOfSet('delta', typeUrl, resources, removed);
  singleDeltaKeys.set(r, { typeUrl, key });
  return key;
}

/**
 * Key for a small SotW partial response, or undefined past
 * {@link SHARE_LIMIT_NAMES}. Its `version_info` is the version of the
 * receiving stream's whole subscribed state (state-version.ts), which
 * streams with other name sets do not share: the version is part of the
 * key, so one body is built per (change, state) and is right for every
 * stream that takes it.
 */
export function sotwPartialKey(typeUrl: string, resources: readonly Versioned[], versionInfo: string): string | undefined {
  if (resources.length > SHARE_LIMIT_NAMES) return undefined;
  return `${keyOfSet('sotw', typeUrl, resources, [])}\u0000${versionInfo}`;
}

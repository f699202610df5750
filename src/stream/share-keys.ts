/**
 * @module stream/share-keys
 * Keys that say "this response body is byte-for-byte the same as another
 * stream's", so the transport builds it once and shares it (DESIGN.md
 * principle 1). Whole-view keys are objects held in a WeakMap per view
 * (owned by the server's FanoutMemo) and vanish with their view;
 * one-resource responses (an endpoint change, every stream) get keys, and
 * the one-element resource array their plans carry, remembered per stored
 * resource in a WeakMap also owned by the FanoutMemo; other small change
 * sets get string keys naming their resources' versions.
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

/** Key for a small delta response (its resources and removed names), or undefined past {@link SHARE_LIMIT_NAMES}. */
export function deltaChangeKey(typeUrl: string, resources: readonly Versioned[], removed: readonly string[]): string | undefined {
  if (resources.length + removed.length > SHARE_LIMIT_NAMES) return undefined;
  return keyOfSet('delta', typeUrl, resources, removed);
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

/** SotW state versions remembered per resource; past this a resource's further versions get built string keys (many distinct name sets). */
const MAX_SOTW_VERSIONS_PER_RESOURCE = 16;

/** What one stored resource remembers about responses carrying only it. */
interface SingleEntry {
  /** The type the entry was made under; an empty-named resource object could in principle be shared across types. */
  readonly typeUrl: string;
  /** `[resource]`, so a one-name plan allocates no array per stream. */
  readonly alone: readonly Versioned[];
  deltaKey: string | undefined;
  /** One key object per SotW state version (the response's version_info). */
  sotwKeys: Map<string, object> | undefined;
}

/**
 * Keys of responses carrying exactly one resource, by the (immutable,
 * stored) resource object: an endpoint change fans out the same
 * one-resource response to every stream, and building its key (several
 * strings, then one long string held until the next scavenge) per stream
 * was most of what our fan-out allocated. SotW keys are objects, one per
 * (resource, state version), so a lookup allocates nothing. Entries live
 * in a WeakMap and go with their resources; one table per server
 * (FanoutMemo), since issue 12.
 */
export class SingleResourceKeys {
  readonly #byResource = new WeakMap<Versioned, SingleEntry>();

  #entry(typeUrl: string, r: Versioned): SingleEntry | undefined {
    let entry = this.#byResource.get(r);
    if (!entry) {
      entry = { typeUrl, alone: [r], deltaKey: undefined, sotwKeys: undefined };
      this.#byResource.set(r, entry);
    }
    return entry.typeUrl === typeUrl ? entry : undefined;
  }

  /** `[r]` as one shared, read-only array (per resource and type). */
  alone<R extends Versioned>(typeUrl: string, r: R): readonly R[] {
    return (this.#entry(typeUrl, r)?.alone as readonly R[] | undefined) ?? [r];
  }

  /** {@link deltaChangeKey}, remembered for one resource and no removals. */
  delta(typeUrl: string, resources: readonly Versioned[], removed: readonly string[]): string | undefined {
    if (resources.length !== 1 || removed.length !== 0) return deltaChangeKey(typeUrl, resources, removed);
    const entry = this.#entry(typeUrl, resources[0] as Versioned);
    if (!entry) return deltaChangeKey(typeUrl, resources, removed);
    return (entry.deltaKey ??= deltaChangeKey(typeUrl, resources, removed));
  }

  /**
   * {@link sotwPartialKey}, but for one resource an object remembered per
   * (resource, type, version_info): same sharing, no string per stream.
   */
  sotw(typeUrl: string, resources: readonly Versioned[], versionInfo: string): object | string | undefined {
    if (resources.length !== 1) return sotwPartialKey(typeUrl, resources, versionInfo);
    const entry = this.#entry(typeUrl, resources[0] as Versioned);
    if (!entry) return sotwPartialKey(typeUrl, resources, versionInfo);
    const keys = (entry.sotwKeys ??= new Map());
    let key = keys.get(versionInfo);
    if (!key) {
      if (keys.size >= MAX_SOTW_VERSIONS_PER_RESOURCE) return sotwPartialKey(typeUrl, resources, versionInfo);
      keys.set(versionInfo, (key = {}));
    }
    return key;
  }
}

/**
 * @module stream/subscription
 * Which names of one type a stream wants: a wildcard flag and explicit
 * names, with the legacy rules for empty lists (docs/protocol.md B12, C17).
 */

import { SHARE_MIN_NAMES, nameHashes } from './name-set-pool';
import type { NameSetPool } from './name-set-pool';

/** The wildcard resource name. */
export const WILDCARD = '*';

/**
 * Maps a requested name to an equal string that is already held elsewhere
 * (the store's), so thousands of streams subscribed to the same names share
 * one copy of each string instead of one per decoded request.
 */
export type Canonical = (name: string) => string;
const same: Canonical = (name) => name;

/** What a subscription update changed. */
export interface SubscriptionDelta {
  readonly added: string[];
  readonly removed: string[];
  readonly wildcardAdded: boolean;
  readonly wildcardRemoved: boolean;
}

/** A subscription update that changed nothing. */
export const UNCHANGED: SubscriptionDelta = Object.freeze({ added: [], removed: [], wildcardAdded: false, wildcardRemoved: false });

/** A SotW list change computed once and replayed by every stream making the same change. */
export interface SotwTransition {
  readonly delta: SubscriptionDelta;
  readonly names: ReadonlySet<string>;
  readonly wildcard: boolean;
  readonly h1: number;
  readonly h2: number;
  readonly onlyEmptyListsSoFar: boolean;
}

/**
 * The names of a subscription that names none (wildcard-only types, and
 * every type before its first request): shared and never written, so such
 * a subscription holds no Set of its own. Not owned, so the first add copies.
 */
const NO_NAMES: ReadonlySet<string> = new Set<string>();

/** One type's subscription on one stream. */
export class Subscription {
  wildcard = false;
  /** Explicit names; may be a pooled set or NO_NAMES, shared with other streams (then copied before any change). */
  #names: ReadonlySet<string> = NO_NAMES;
  #owned = false;
  /** Order-independent hash of #names (XOR of per-name hashes). */
  #h1 = 0;
  #h2 = 0;
  /** SotW legacy wildcard: an empty list means `*` only while every request so far was empty. */
  #onlyEmptyListsSoFar = true;
  /** Where equal sets of other streams of the same server are found. */
  readonly #pool: NameSetPool;

  constructor(pool: NameSetPool) {
    this.#pool = pool;
  }

  /** The explicitly subscribed names (read-only: it may be shared). */
  get names(): ReadonlySet<string> {
    return this.#names;
  }

  /**
   * SotW only: the result of applying a list, to replay on other streams
   * that make the same transition (see sotw-transitions.ts). Undefined when
   * the names are not pooled (small sets are cheaper to recompute).
   */
  snapshot(delta: SubscriptionDelta): SotwTransition | undefined {
    if (this.#owned || this.#names === NO_NAMES) return undefined;
    return { delta, names: this.#names, wildcard: this.wildcard, h1: this.#h1, h2: this.#h2, onlyEmptyListsSoFar: this.#onlyEmptyListsSoFar };
  }

  /** SotW only: take over a transition another stream computed from the same previous list. */
  adopt(t: SotwTransition): SubscriptionDelta {
    this.#names = t.names;
    this.#owned = false;
    this.#h1 = t.h1;
    this.#h2 = t.h2;
    this.wildcard = t.wildcard;
    this.#onlyEmptyListsSoFar = t.onlyEmptyListsSoFar;
    return t.delta;
  }

  /** Whether no list was ever applied, or only empty ones that changed nothing: every fresh subscription of a type is in this state. */
  get untouched(): boolean {
    return !this.wildcard && this.#names.size === 0 && this.#onlyEmptyListsSoFar;
  }

  /** True when `names` will never change (pooled, or the shared empty set): safe as a memo key. */
  get namesFrozen(): boolean {
    return !this.#owned;
  }

  /** Whether `name` is wanted. */
  covers(name: string): boolean {
    return this.wildcard || this.#names.has(name);
  }

  #writable(): Set<string> {
    if (!this.#owned) {
      this.#names = this.#names.size === 0 ? new Set() : new Set(this.#names);
      this.#owned = true;
    }
    return this.#names as Set<string>;
  }

  #add(name: string): void {
    if (this.#names.has(name)) return;
    this.#writable().add(name);
    const [a, b] = nameHashes(name);
    this.#h1 ^= a;
    this.#h2 ^= b;
  }

  #delete(name: string): boolean {
    if (!this.#names.has(name)) return false;
    this.#writable().delete(name);
    const [a, b] = nameHashes(name);
    this.#h1 ^= a;
    this.#h2 ^= b;
    return true;
  }

  /** After a change: share an equal set held by other streams, if any. */
  #share(): void {
    if (!this.#owned || this.#names.size < SHARE_MIN_NAMES) return;
    const pooled = this.#pool.share(this.#names, this.#h1 >>> 0, this.#h2 >>> 0);
    if (pooled !== this.#names) {
      this.#names = pooled;
      this.#owned = false;
    } else {
      // Now in the pool: other streams may adopt it, so it must not change under them.
      this.#owned = false;
    }
  }

  /**
   * Apply a SotW `resource_names` (always the full set). `*` and the legacy
   * empty list mean wildcard only for wildcard-capable types (LDS, CDS).
   */
  applySotw(resourceNames: readonly string[], wildcardCapable: boolean, canonical: Canonical = same): SubscriptionDelta {
    const wasWildcard = this.wildcard;
    let wantWildcard = false;
    const next = new Set<string>();
    if (resourceNames.length === 0) {
      wantWildcard = wildcardCapable && this.#onlyEmptyListsSoFar;
    } else {
      this.#onlyEmptyListsSoFar = false;
      for (const n of resourceNames) {
        if (n === WILDCARD) wantWildcard = wildcardCapable;
        else next.add(n);
      }
    }
    const added: string[] = [];
    const removed: string[] = [];
    for (const n of next) if (!this.#names.has(n)) added.push(n);
    for (const n of this.#names) if (!next.has(n)) removed.push(n);
    for (const n of removed) this.#delete(n);
    for (const n of added) this.#add(canonical(n));
    this.#share();
    this.wildcard = wantWildcard;
    return { added, removed, wildcardAdded: wantWildcard && !wasWildcard, wildcardRemoved: wasWildcard && !wantWildcard };
  }

  /**
   * Apply a delta request's subscribe/unsubscribe lists. On the first request
   * of a wildcard-capable type, two empty lists mean wildcard (legacy). A name
   * in both lists ends unsubscribed: unsubscribe is applied after subscribe.
   */
  applyDelta(subscribe: readonly string[], unsubscribe: readonly string[], first: boolean, wildcardCapable: boolean, canonical: Canonical = same): SubscriptionDelta {
    const wasWildcard = this.wildcard;
    const added: string[] = [];
    const removed: string[] = [];
    if (first && subscribe.length === 0 && unsubscribe.length === 0 && wildcardCapable) this.wildcard = true;
    for (const n of subscribe) {
      if (n === WILDCARD) {
        if (wildcardCapable) this.wildcard = true;
      } else {
        this.#add(canonical(n));
        added.push(n);
      }
    }
    const subscribing = unsubscribe.length > 0 && subscribe.length > 0 ? new Set(subscribe) : undefined;
    for (const n of unsubscribe) {
      if (n === WILDCARD) {
        this.wildcard = false;
      } else if (this.#delete(n) || subscribing?.has(n)) {
        removed.push(n);
      }
    }
    this.#share();
    const stillAdded = removed.length === 0 ? added : added.filter((n) => this.#names.has(n));
    return { added: stillAdded, removed, wildcardAdded: this.wildcard && !wasWildcard, wildcardRemoved: wasWildcard && !this.wildcard };
  }
}

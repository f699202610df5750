/**
 * @module stream/delta-subscribes
 * A delta Envoy asks for its 1000 EDS names in one request, the first of
 * the type on its stream, and thousands of Envoys send the same list. The
 * first stream decodes and applies it; the rest take over the result (the
 * pooled name set, name-set-pool.ts) without decoding a name. Keys are the
 * interned `resource_names_subscribe` bytes (one Buffer object per distinct
 * list, transport/names-interner.ts), so lookups are by identity and
 * entries vanish with the lists.
 */
import type { Canonical, SotwTransition, Subscription, SubscriptionDelta } from './subscription';

/** A first delta request's subscribe list: its interned bytes (if any) and the names, decoded on first read. */
export interface DeltaSubscribeList {
  readonly subscribeKey?: Buffer;
  readonly subscribe: readonly string[];
}

/** One server's results of first subscribe lists, per type. */
export class DeltaFirstSubscribes {
  // Per type: `*` means wildcard only for some types, and the same bytes can name clusters or endpoints.
  readonly #byType = new Map<string, WeakMap<Buffer, SotwTransition>>();
  #recorded = 0;

  /** Lists recorded since the server started (they go with their bytes). */
  get recorded(): number {
    return this.#recorded;
  }

  /**
   * Apply the subscribe list of a type's first request (with no unsubscribe
   * list) to `sub`, which must be fresh: the result another stream got from
   * the same bytes is taken over; anything else is applied and recorded.
   */
  apply(typeUrl: string, sub: Subscription, list: DeltaSubscribeList, wildcardCapable: boolean, canonical: Canonical): SubscriptionDelta {
    const key = list.subscribeKey;
    const known = key && this.#byType.get(typeUrl)?.get(key);
    if (known) return sub.adopt(known);
    const change = sub.applyDelta(list.subscribe, [], true, wildcardCapable, canonical);
    const t = key && sub.snapshot(change);
    if (key && t) {
      let byKey = this.#byType.get(typeUrl);
      if (!byKey) this.#byType.set(typeUrl, (byKey = new WeakMap()));
      byKey.set(key, t);
      this.#recorded++;
    }
    return change;
  }
}

/**
 * @module stream/sotw-transitions
 * When a cluster is added, every SotW Envoy sends the same new 1001-name EDS
 * list, coming from the same old list. The first stream decodes and diffs it;
 * the rest replay that result. Keys are the interned list bytes (one Buffer
 * object per distinct list, transport/names-interner.ts), so lookups are by
 * identity and entries vanish with the lists.
 */
import { UNCHANGED } from './subscription';
import type { Canonical, SotwTransition, Subscription, SubscriptionDelta } from './subscription';

/** A SotW `resource_names` list as the transport hands it over: its interned bytes (if any) and the names, decoded on first read. */
export interface SotwNameList {
  readonly namesKey?: Buffer;
  readonly resourceNames: readonly string[];
}

/** One server's recorded list transitions, per type. */
export class SotwTransitions {
  // Per type: the same bytes can be a CDS list and an EDS list, and `*` means wildcard only for some types.
  readonly #byType = new Map<string, WeakMap<Buffer, WeakMap<Buffer, SotwTransition>>>();
  #recorded = 0;

  /** Transitions recorded since the server started (they go with their lists). */
  get recorded(): number {
    return this.#recorded;
  }

  /**
   * Apply a SotW list to `sub`, whose previous list had the interned bytes
   * `last`: the same bytes again change nothing and are never decoded; a
   * change another stream already made is replayed; anything else is
   * applied (with `canonicalFor(typeUrl)`) and recorded for the others.
   */
  apply(typeUrl: string, sub: Subscription, last: Buffer | undefined, list: SotwNameList, wildcardCapable: boolean, canonicalFor: (typeUrl: string) => Canonical): SubscriptionDelta {
    const next = list.namesKey;
    if (next !== undefined && next === last) return UNCHANGED;
    const known = this.#find(typeUrl, last, next);
    if (known) return sub.adopt(known);
    const change = sub.applySotw(list.resourceNames, wildcardCapable, canonicalFor(typeUrl));
    this.#record(typeUrl, last, next, sub, change);
    return change;
  }

  #find(typeUrl: string, from: Buffer | undefined, to: Buffer | undefined): SotwTransition | undefined {
    if (!from || !to) return undefined;
    return this.#byType.get(typeUrl)?.get(from)?.get(to);
  }

  #record(typeUrl: string, from: Buffer | undefined, to: Buffer | undefined, sub: Subscription, change: SubscriptionDelta): void {
    if (!from || !to) return;
    const t = sub.snapshot(change);
    if (!t) return;
    let transitions = this.#byType.get(typeUrl);
    if (!transitions) this.#byType.set(typeUrl, (transitions = new WeakMap()));
    let byTarget = transitions.get(from);
    if (!byTarget) transitions.set(from, (byTarget = new WeakMap()));
    byTarget.set(to, t);
    this.#recorded++;
  }
}

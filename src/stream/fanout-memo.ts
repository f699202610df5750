/**
 * @module stream/fanout-memo
 * Everything one server remembers so that a fan-out to thousands of streams
 * does its work once, not once per stream: pooled name sets, replayed SotW
 * list transitions, delta first subscribe lists, state versions, "does this
 * set cover exactly this view", whole-view and one-resource share keys and
 * the warming check. One FanoutMemo is made by the composition root per
 * server and reaches every stream on its StreamContext, so the tables live
 * and die with their server and two servers in one process never see each
 * other's entries. Streams keep the protocol rules; every call into shared
 * work goes through here.
 *
 * Two more memo tables belong to the same fan-out but live where their
 * data does, outside stream/: the interned name list bytes (SotW
 * `resource_names`, delta `resource_names_subscribe`;
 * transport/names-interner.ts, one per server's RequestCodec, bounded in
 * bytes) and each encode worker thread's content cache
 * (encode/encode-worker.ts, bounded in entries, living as long as the
 * server's worker pool).
 */
import type { EncodedResource } from '../encode';
import type { TypeView } from '../store';
import { NameSetPool } from './name-set-pool';
import { StateVersions } from './state-version';
import { SotwTransitions } from './sotw-transitions';
import type { SotwNameList } from './sotw-transitions';
import { SingleResourceKeys, WholeViewKeys } from './share-keys';
import { ClustersOutside } from './warming';
import { Subscription } from './subscription';
import type { Canonical, SubscriptionDelta } from './subscription';
import { DeltaFirstSubscribes } from './delta-subscribes';
import type { DeltaSubscribeList } from './delta-subscribes';
import { ViewCover } from './view-cover';

/**
 * Where an untouched subscription's first SotW list starts from, as a
 * transition key: never an interned list (those are never empty), so never
 * taken for "unchanged".
 */
const NO_LIST: Buffer = Buffer.alloc(0);

/** Counts for tests and debugging; entries kept in WeakMaps cannot be counted live, so most are totals made since start. */
export interface FanoutMemoSnapshot {
  /** Name sets in the pool now (live, not yet collected). */
  readonly pooledNameSets: number;
  /** SotW list transitions recorded for replay. */
  readonly transitionsRecorded: number;
  /** State versions hashed (memo misses). */
  readonly stateVersionsComputed: number;
  /** Whole-view share keys made. */
  readonly wholeViewKeysMade: number;
  /** Warming answers worked out (memo misses). */
  readonly warmingChecksComputed: number;
  /** Delta first subscribe lists recorded for reuse. */
  readonly deltaSubscribesRecorded: number;
  /** "Names cover exactly this view" answers worked out for pooled sets (memo misses). */
  readonly viewCoversComputed: number;
}

/** One server's fan-out memo tables. */
export class FanoutMemo {
  readonly #nameSets = new NameSetPool();
  readonly #transitions = new SotwTransitions();
  readonly #versions = new StateVersions();
  readonly #wholeViews = new WholeViewKeys();
  readonly #singles = new SingleResourceKeys();
  readonly #clustersOutside = new ClustersOutside();
  readonly #firstSubscribes = new DeltaFirstSubscribes();
  readonly #viewCover = new ViewCover();

  /** A new, empty subscription that shares equal name sets with this server's other streams. */
  subscription(): Subscription {
    return new Subscription(this.#nameSets);
  }

  /** Apply a SotW `resource_names` list, replaying another stream's identical change when there is one (sotw-transitions.ts). */
  applySotwList(typeUrl: string, sub: Subscription, last: Buffer | undefined, list: SotwNameList, wildcardCapable: boolean, canonicalFor: (typeUrl: string) => Canonical): SubscriptionDelta {
    // A stream's first list (its 1000 EDS names at initial sync) comes from the same untouched state on every
    // stream: recorded as a change from NO_LIST, so it too is applied once and replayed by the rest.
    const from = last ?? (sub.untouched ? NO_LIST : undefined);
    return this.#transitions.apply(typeUrl, sub, from, list, wildcardCapable, canonicalFor);
  }

  /** Apply a delta type's first subscribe list to a fresh `sub`, taking over another stream's result for the same bytes (delta-subscribes.ts). */
  applyFirstDeltaSubscribe(typeUrl: string, sub: Subscription, list: DeltaSubscribeList, wildcardCapable: boolean, canonical: Canonical): SubscriptionDelta {
    return this.#firstSubscribes.apply(typeUrl, sub, list, wildcardCapable, canonical);
  }

  /**
   * The view's cached array of all its resources when `sub` wants exactly
   * the view (view-cover.ts), else undefined: what a client holding nothing
   * is owed, as one shared array.
   */
  wholeViewFor(view: TypeView, sub: Subscription): readonly EncodedResource[] | undefined {
    return this.#viewCover.exactly(view, sub) ? this.#versions.allOf(view) : undefined;
  }

  /** The SotW `version_info` of everything `sub` covers in `view` (state-version.ts). */
  stateVersion(view: TypeView, sub: Subscription): string {
    return this.#versions.of(view, sub);
  }

  /**
   * Every resource `sub` covers in `view`. When that is the whole view it is
   * the view's own cached array, so callers can tell "whole view" by length
   * and share one body.
   */
  subscribedIn(view: TypeView, sub: Subscription): readonly EncodedResource[] {
    const all = this.#versions.allOf(view);
    if (sub.wildcard || this.#viewCover.exactly(view, sub)) return all;
    const out: EncodedResource[] = [];
    for (const n of sub.names) {
      const r = view.get(n);
      if (r) out.push(r);
    }
    return out.length === view.size ? all : out;
  }

  /** The share key of a response carrying every resource of `view` (share-keys.ts). */
  wholeViewKey(view: TypeView, variant: 'sotw' | 'delta', typeUrl: string): object {
    return this.#wholeViews.key(view, variant, typeUrl);
  }

  /** `[r]` as one array shared by every stream whose response carries only `r` (share-keys.ts). */
  alone<R extends EncodedResource>(typeUrl: string, r: R): readonly R[] {
    return this.#singles.alone(typeUrl, r);
  }

  /** The share key of a small delta response; remembered per resource when it carries one resource and no removals (share-keys.ts). */
  deltaChangeKey(typeUrl: string, resources: readonly Pick<EncodedResource, 'name' | 'version'>[], removed: readonly string[]): string | undefined {
    return this.#singles.delta(typeUrl, resources, removed);
  }

  /** The share key of a small SotW partial response; an object remembered per (resource, version_info) when it carries one resource (share-keys.ts). */
  sotwPartialKey(typeUrl: string, resources: readonly EncodedResource[], versionInfo: string): object | string | undefined {
    return this.#singles.sotw(typeUrl, resources, versionInfo);
  }

  /** Whether a cluster of `clusters` warmed over ADS lacks a name in the pooled, never-changing `edsNames` (warming.ts). */
  clustersOutside(clusters: TypeView, edsNames: ReadonlySet<string>): boolean {
    return this.#clustersOutside.check(clusters, edsNames);
  }

  /** Sizes and totals of the tables; allocates, so not for hot paths. */
  describe(): FanoutMemoSnapshot {
    return {
      pooledNameSets: this.#nameSets.size,
      transitionsRecorded: this.#transitions.recorded,
      stateVersionsComputed: this.#versions.computed,
      wholeViewKeysMade: this.#wholeViews.made,
      warmingChecksComputed: this.#clustersOutside.computed,
      deltaSubscribesRecorded: this.#firstSubscribes.recorded,
      viewCoversComputed: this.#viewCover.computed,
    };
  }
}

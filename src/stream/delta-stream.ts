/**
 * @module stream/delta-stream
 * Incremental (delta) protocol state for one stream (docs/protocol.md §C):
 * per type the subscription and the version of every resource the client
 * holds, so each push sends only additions and changes and reports
 * deletions and names that do not exist in `removed_resources`.
 */
import { VIRTUAL_HOST } from '../xds/type-urls';
import { resourceTypeOf } from '../xds/resource-types';
import type { TypeChange, TypeView } from '../store';
import { StreamBase } from './stream-base';
import { WHOLE_VIEW, freshTypeState } from './type-state';
import type { TypeStateBase } from './type-state';
import type { TypeSnapshot } from './snapshot';
import type { DeltaRequest, ReplyNonce } from './requests';
import type { DeltaEntry, DeltaPlan } from './sink';
import { aliasedEntry, resolveAlias, unresolvedAliasEntry } from './vhds-alias';
import { KnownVersions } from './known-versions';
import type { SubscriptionDelta } from './subscription';

/** Marks a name the client was told does not exist (so it is told once). */
const MISSING = '';

/** Per-type delta state. */
export interface DeltaTypeState extends TypeStateBase {
  readonly wildcardCapable: boolean;
  /** name → version the client holds (MISSING: told it does not exist). */
  readonly known: KnownVersions;
  /**
   * The interned subscribe bytes of the type's first request while that is
   * still the whole subscription: holding them keeps the memo entry that
   * lets later streams take over the result alive (delta-subscribes.ts).
   */
  firstSubscribe: Buffer | undefined;
}

/** The removed names of a response that removes nothing (shared, never written). */
const NO_REMOVED: readonly string[] = Object.freeze([]);

/** One delta stream (ADS or per-type). */
export class DeltaStream extends StreamBase<DeltaTypeState, DeltaPlan> {
  readonly variant = 'delta' as const;

  /** Handle one decoded DeltaDiscoveryRequest. Throws StreamRequestError to end the stream. */
  handleRequest(req: DeltaRequest): void {
    const typeUrl = this.admitRequest(req);
    if (typeUrl === undefined) return;
    let state = this.types.get(typeUrl);
    const first = state === undefined;
    if (!state) {
      // Named fields, not a spread of freshTypeState(): V8 gives each spread-built object a hidden class of its own (~200 B per type per stream).
      const base = freshTypeState(this.ctx.memo);
      state = {
        sub: base.sub,
        ack: base.ack,
        pending: base.pending,
        wildcardCapable: resourceTypeOf(typeUrl).wildcardCapable,
        known: KnownVersions.fromInitial(req.initialVersions, this.ctx.store.view(this.group, typeUrl)),
        firstSubscribe: undefined,
      };
      this.types.set(typeUrl, state);
    }
    // Rule C18: the nonce decides ACK/NACK; subscription changes apply even with a stale nonce.
    if (req.responseNonce !== '' && state.ack.answers(req.responseNonce)) this.settle(typeUrl, state, req.errorDetail);
    if (!first && req.subscribe.length === 0 && req.unsubscribe.length === 0) {
      // An ACK or NACK that changes no subscription (what Envoy sends after each response): nothing to apply.
      this.requestFlush();
      return;
    }

    const change = this.#applySubscription(typeUrl, state, req, first);
    if (first) {
      // Rule C22: compare against initial_resource_versions; names held but no longer covered are removed.
      state.pending.addAll('updates', state.sub.wildcard);
    } else {
      for (const n of change.added) {
        // Rule C19: re-subscribing a held name resends it.
        state.pending.add(n, 'updates', true);
      }
      if (change.wildcardAdded) state.pending.addAll('updates', false);
      for (const n of change.removed) {
        if (state.sub.wildcard) {
          // Rule C20: the client drops it, but the wildcard still wants it: resent if it exists,
          // else reported in removed_resources (nextPlan decides).
          state.pending.add(n, 'updates', true);
        } else {
          state.known.delete(n);
          state.pending.drop(n);
        }
      }
      if (change.wildcardRemoved) {
        for (const n of state.known.keys()) if (!state.sub.names.has(n)) state.known.delete(n);
      }
    }
    this.requestFlush();
  }

  /**
   * A reply holding only `type_url` and `response_nonce` (what a delta
   * client sends after every response), recognised by the transport from
   * its bytes: settled as handleRequest would settle it, without a request
   * object. Returns false, having done nothing, when the stream has no state
   * for the type and the reply needs the full path: it is then the type's
   * first request, or the stream's (no node yet), or names another type than
   * a per-type service's own (which handleRequest refuses). A closed stream
   * holds no types either.
   */
  settlePlainReply(typeUrl: string, nonce: ReplyNonce): boolean {
    const state = this.types.get(typeUrl);
    if (state === undefined) return false;
    // Rule C18: the nonce decides; a stale one settles nothing.
    if (nonce.matches(state.ack.nonce)) this.settle(typeUrl, state, undefined);
    this.requestFlush(state);
    return true;
  }

  /**
   * Apply the request's subscribe and unsubscribe lists. A type's first
   * request with only a subscribe list (a delta Envoy's 1000 EDS names) is
   * the same bytes on thousands of streams: it goes through the memo, which
   * decodes and applies it once (delta-subscribes.ts).
   */
  #applySubscription(typeUrl: string, state: DeltaTypeState, req: DeltaRequest, first: boolean): SubscriptionDelta {
    if (first && req.subscribeKey !== undefined && req.unsubscribe.length === 0) {
      state.firstSubscribe = req.subscribeKey;
      return this.ctx.memo.applyFirstDeltaSubscribe(typeUrl, state.sub, req, state.wildcardCapable, this.canonicalFor(typeUrl));
    }
    state.firstSubscribe = undefined;
    return state.sub.applyDelta(req.subscribe, req.unsubscribe, first, state.wildcardCapable, this.canonicalFor(typeUrl));
  }

  protected markChanges(changes: ReadonlyMap<string, TypeChange>): void {
    for (const [typeUrl, change] of changes) {
      const state = this.types.get(typeUrl);
      if (!state) continue;
      if (state.pending.all) {
        state.pending.mark('updates');
        continue;
      }
      for (const n of change.updated) if (state.sub.covers(n)) state.pending.add(n, 'updates');
      for (const n of change.removed) if (state.known.has(n)) state.pending.add(n, 'removals');
    }
  }

  protected versionOf(): string {
    // Kept for status pages only; system_version_info is debug-only in the protocol, so the body leaves it
    // out and stays identical for every stream that needs the same change.
    return String(this.ctx.store.revision);
  }

  protected readonly tracksHeldVersions = true;

  protected clientHolds(state: DeltaTypeState, name: string): boolean {
    return state.known.has(name);
  }

  protected describeWork(state: DeltaTypeState): Pick<TypeSnapshot, 'pending' | 'sentCurrent'> {
    const known = state.known.copy();
    return { pending: state.pending.all ? 'all' : state.pending.nameCount, sentCurrent: (name, version) => known.get(name) === version };
  }

  protected clustersHeld(cds: DeltaTypeState, view: TypeView): Iterable<string> | typeof WHOLE_VIEW {
    return cds.known.isExactly(view) ? WHOLE_VIEW : cds.known.keys();
  }

  /**
   * Initial sync (rule C22 with nothing held): a client that holds nothing
   * of the type and wants exactly the store's view is owed the whole view.
   * This is the plan the general path below would make, without its work per
   * resource: the view's shared array, one shared body, and the view itself
   * as what the client holds (known-versions.ts).
   */
  #wholeViewToEmptyClient(typeUrl: string, state: DeltaTypeState, view: TypeView): DeltaPlan | undefined {
    if (!state.pending.all || view.size === 0 || !state.known.isEmpty) return undefined;
    const resources = this.ctx.memo.wholeViewFor(view, state.sub);
    if (!resources) return undefined;
    state.known.resetTo(view);
    state.pending.take();
    return { typeUrl, systemVersionInfo: '', resources, removed: NO_REMOVED, shareKey: this.ctx.memo.wholeViewKey(view, 'delta', typeUrl) };
  }

  /**
   * One changed resource owed (an endpoint change, on every stream that
   * subscribes to it, every round): the plan the general path below would
   * make, without its closure and arrays per stream: the resource's shared
   * one-element array and its remembered share key (share-keys.ts). Any
   * other case (a name not covered or gone, the same version held and not
   * forced, a VHDS alias) is left to the general path.
   */
  #oneChanged(typeUrl: string, state: DeltaTypeState, view: TypeView): DeltaPlan | undefined {
    const pending = state.pending;
    const name = pending.only;
    if (name === undefined || typeUrl === VIRTUAL_HOST || !state.sub.covers(name)) return undefined;
    const r = view.get(name);
    if (r === undefined || (state.known.get(name) === r.version && !pending.forced(name))) return undefined;
    state.known.set(name, r.version);
    state.known.maybeRebase(view);
    pending.take();
    const resources = this.ctx.memo.alone(typeUrl, r);
    return { typeUrl, systemVersionInfo: '', resources, removed: NO_REMOVED, shareKey: this.ctx.memo.deltaChangeKey(typeUrl, resources, NO_REMOVED) };
  }

  protected nextPlan(typeUrl: string, state: DeltaTypeState): DeltaPlan | undefined {
    const view = this.ctx.store.view(this.group, typeUrl);
    const whole = this.#wholeViewToEmptyClient(typeUrl, state, view);
    if (whole) return whole;
    const pending = state.pending;
    const one = this.#oneChanged(typeUrl, state, view);
    if (one) return one;
    const resources: DeltaEntry[] = [];
    const removed: string[] = [];
    // Alias entries are built for this stream, not stored: such a response is never "the whole view".
    let aliasEntries = false;
    const consider = (name: string): void => {
      const covered = state.sub.covers(name);
      const r = covered ? view.get(name) : undefined;
      const held = state.known.get(name);
      if (r) {
        if (held !== r.version || pending.forced(name)) {
          resources.push(r);
          state.known.set(name, r.version);
        }
      } else if (covered && state.sub.names.has(name) && typeUrl === VIRTUAL_HOST) {
        // Rule C24: a VHDS name may be an alias (route_config/host).
        const target = resolveAlias(view, name);
        aliasEntries = true;
        if (target) {
          if (held !== target.version || pending.forced(name)) resources.push(aliasedEntry(target, name));
          state.known.set(name, target.version);
        } else {
          if (held !== MISSING || pending.forced(name)) resources.push(unresolvedAliasEntry(name));
          state.known.set(name, MISSING);
        }
      } else if (covered && state.sub.names.has(name)) {
        // Rule C21: a subscribed name that does not exist is reported, once.
        if (held !== MISSING) removed.push(name);
        state.known.set(name, MISSING);
      } else if (held !== undefined) {
        // Held (or told it was missing) but now neither existing-and-covered nor explicitly
        // subscribed: deleted, or (rule C20) unsubscribed while only the wildcard wants it.
        removed.push(name);
        state.known.delete(name);
      }
    };
    let everything = false;
    if (pending.all) {
      // Every name once: the view's (wildcard), then subscribed names outside it, then held names
      // outside both. Membership tests instead of a `seen` set: this runs for thousands of names per
      // stream on every initial sync and reconnect.
      const sub = state.sub;
      const wildcard = sub.wildcard;
      if (wildcard) for (const n of view.keys()) consider(n);
      for (const n of sub.names) if (!wildcard || !view.has(n)) consider(n);
      // Held names are all view names when the client holds exactly the view, visited above if wildcard.
      if (!(wildcard && state.known.isExactly(view))) {
        for (const n of state.known.keys()) if (!(wildcard && view.has(n)) && !sub.names.has(n)) consider(n);
      }
      // Whole view sent (initial sync, wildcard or every name listed): one body for every such stream.
      everything = !aliasEntries && resources.length === view.size && removed.length === 0;
    } else {
      // One changed name (an endpoint change on every stream): no Set per stream just to visit it.
      const only = pending.only;
      if (only !== undefined) consider(only);
      else for (const n of pending.names()) consider(n);
    }
    state.known.maybeRebase(view);
    const mustRespond = pending.take();
    if (resources.length === 0 && removed.length === 0 && !mustRespond) return undefined;
    let shareKey: unknown;
    if (everything) shareKey = this.ctx.memo.wholeViewKey(view, 'delta', typeUrl);
    else if (!aliasEntries) shareKey = this.ctx.memo.deltaChangeKey(typeUrl, resources, removed);
    return { typeUrl, systemVersionInfo: '', resources, removed, shareKey };
  }
}

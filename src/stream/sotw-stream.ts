/**
 * @module stream/sotw-stream
 * State-of-the-world protocol state for one stream (docs/protocol.md §B):
 * per type a subscription, the nonce gate, and what is pending. LDS/CDS
 * responses carry the full subscribed set; other types carry only what
 * changed or was newly requested. Every response's `version_info` names the
 * whole subscribed state the client then holds (state-version.ts), so a
 * client reconnecting at that version is sent nothing (rule B15).
 */
import { resourceTypeOf } from '../xds/resource-types';
import type { EncodedResource } from '../encode';
import type { TypeChange, TypeView } from '../store';
import { StreamBase } from './stream-base';
import { WHOLE_VIEW, freshTypeState } from './type-state';
import type { TypeStateBase } from './type-state';
import type { TypeSnapshot } from './snapshot';
import type { Canonical } from './subscription';
import type { SotwRequest } from './requests';
import type { SotwPlan } from './sink';

/** Per-type SotW state. */
export interface SotwTypeState extends TypeStateBase {
  readonly fullState: boolean;
  readonly wildcardCapable: boolean;
  /** Interned bytes of the last resource_names list (shared by streams with equal lists). */
  namesKey: Buffer | undefined;
  /** The version_info of the type's first request on this stream (a reconnect, rule B15), until the first plan checks it. */
  resumeVersion: string | undefined;
}

const NONE: readonly string[] = [];

/** One SotW stream (ADS or per-type). */
export class SotwStream extends StreamBase<SotwTypeState, SotwPlan> {
  readonly variant = 'sotw' as const;
  // Bound once: passed on every request whose list must be decoded.
  readonly #canonicalFor = (typeUrl: string): Canonical => this.canonicalFor(typeUrl);

  /** Handle one decoded DiscoveryRequest. Throws StreamRequestError to end the stream. */
  handleRequest(req: SotwRequest): void {
    const typeUrl = this.admitRequest(req);
    if (typeUrl === undefined) return;
    let state = this.types.get(typeUrl);
    const first = state === undefined;
    if (!state) {
      const rtype = resourceTypeOf(typeUrl);
      // Named fields, not a spread of freshTypeState(): V8 gives each spread-built object a hidden class of its own (~200 B per type per stream).
      const base = freshTypeState(this.ctx.memo);
      state = {
        sub: base.sub,
        ack: base.ack,
        pending: base.pending,
        fullState: rtype.fullStateInSotw,
        wildcardCapable: rtype.wildcardCapable,
        namesKey: undefined,
        resumeVersion: undefined,
      };
      this.types.set(typeUrl, state);
    }
    if (state.ack.nonce !== undefined) {
      // Rule B10: a stale nonce is neither ACK nor NACK and triggers nothing.
      if (!state.ack.answers(req.responseNonce)) return;
      this.settle(typeUrl, state, req.errorDetail, req);
    }
    // The list is the whole subscribed set. The memo spots an unchanged list by its interned bytes and
    // replays a change another stream already made, so most requests decode no names.
    const change = this.ctx.memo.applySotwList(typeUrl, state.sub, state.namesKey, req, state.wildcardCapable, this.#canonicalFor);
    state.namesKey = req.namesKey;
    if (first) {
      state.pending.addAll('updates', state.sub.wildcard || state.fullState);
      // Rule B15: checked when the response is planned, against the view then current (a restarted
      // server may not have loaded its config yet when the first requests arrive).
      if (req.versionInfo !== '') state.resumeVersion = req.versionInfo;
    } else if (change.wildcardAdded || change.added.length > 0) {
      // Rule B11: newly requested names are sent even if unchanged.
      if (state.fullState || change.wildcardAdded) state.pending.addAll('updates', true);
      else for (const n of change.added) state.pending.add(n, 'updates');
    }
    this.requestFlush();
  }

  protected markChanges(changes: ReadonlyMap<string, TypeChange>): void {
    for (const [typeUrl, change] of changes) {
      const state = this.types.get(typeUrl);
      if (!state) continue;
      if (state.fullState) {
        const updated = state.sub.wildcard ? change.updated.length > 0 : change.updated.some((n) => state.sub.names.has(n));
        const removed = state.sub.wildcard ? change.removed.length > 0 : change.removed.some((n) => state.sub.names.has(n));
        if (updated || removed) state.pending.addAll(updated ? 'updates' : 'removals', true);
      } else {
        for (const n of change.updated) {
          if (state.sub.covers(n)) state.pending.add(n, 'updates');
        }
      }
    }
  }

  protected versionOf(plan: SotwPlan): string {
    return plan.versionInfo;
  }

  protected readonly tracksHeldVersions = false;

  protected clientHolds(): boolean {
    return true;
  }

  protected describeWork(state: SotwTypeState): Pick<TypeSnapshot, 'pending' | 'sentCurrent'> {
    // SotW never learns what a client holds: a name counts as sent once a response went out and nothing is pending for it.
    const all = state.pending.all;
    const names = all ? undefined : new Set(state.pending.names());
    const sentAny = state.ack.sentVersion !== '';
    return { pending: all ? 'all' : state.pending.nameCount, sentCurrent: (name) => sentAny && !all && !names?.has(name) };
  }

  protected clustersHeld(cds: SotwTypeState): Iterable<string> | typeof WHOLE_VIEW {
    if (cds.ack.sentVersion === '') return NONE;
    return cds.sub.wildcard ? WHOLE_VIEW : cds.sub.names;
  }

  protected nextPlan(typeUrl: string, state: SotwTypeState): SotwPlan | undefined {
    const view = this.ctx.store.view(this.group, typeUrl);
    const memo = this.ctx.memo;
    // The version of the whole subscribed state the client holds once it applies this response.
    const versionInfo = memo.stateVersion(view, state.sub);
    const resumed = state.resumeVersion;
    state.resumeVersion = undefined;
    const pending = state.pending;
    if (resumed === versionInfo && pending.all) {
      // Rule B15: a reconnecting client that already holds exactly this state (from this server, a
      // replica or our previous life: the version is content-derived) needs nothing; it is ACKed there.
      // With any other version it gets every subscribed resource below: SotW never says which
      // resources a client holds, so "what it lacks" cannot be known and the whole set is the fallback.
      // Names added since that exist would have changed the version, so nothing is left pending.
      pending.take();
      state.ack.resumed(versionInfo);
      return undefined;
    }
    let resources: readonly EncodedResource[];
    let shareKey: unknown;
    if (pending.all || state.fullState) {
      // Every subscribed resource that exists; when that is the whole view, one body serves every such stream.
      resources = memo.subscribedIn(view, state.sub);
      if (resources.length === view.size) shareKey = memo.wholeViewKey(view, 'sotw', typeUrl);
    } else {
      // One changed name (an endpoint change, every stream, every round): the resource's own shared
      // one-element array and key object, so the plan allocates nothing per stream.
      const only = pending.only;
      const r = only === undefined ? undefined : view.get(only);
      resources = r ? memo.alone(typeUrl, r) : existing(view, pending.names());
      shareKey = memo.sotwPartialKey(typeUrl, resources, versionInfo);
    }
    const mustRespond = pending.take();
    if (resources.length === 0 && !mustRespond) return undefined;
    return { typeUrl, versionInfo, resources, shareKey };
  }
}

/** The resources of `names` that exist in `view`. */
function existing(view: TypeView, names: Iterable<string>): EncodedResource[] {
  const picked: EncodedResource[] = [];
  for (const n of names) {
    const r = view.get(n);
    if (r) picked.push(r);
  }
  return picked;
}

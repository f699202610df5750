/**
 * @module stream/warming
 * Whether routes should wait for the client to warm its clusters, the part
 * of make-before-break (push-order.ts, xds-protocol.md D26) that depends on
 * the client: an EDS cluster is warm once it has endpoints, and routes to
 * it are useless before that.
 *
 * Waiting can help only for clusters whose endpoints come over this ADS
 * stream (`eds_config.ads`, see encode/references.ts), and only until the
 * client has asked for them. A client that takes endpoints from another
 * config source, or none at all (a CDS, LDS and RDS client), never asks;
 * holding its routes would delay every LDS/RDS response. So routes wait
 * only in a short window after each CDS response is settled, and not at all
 * once a client has let a whole window pass without asking for any
 * endpoints on this stream.
 */
import { ENDPOINT } from '../xds/type-urls';
import type { Reference } from '../encode';
import type { TypeView } from '../store';
import { WHOLE_VIEW } from './type-state';
import type { TypeStateBase } from './type-state';

/**
 * How long routes may wait, after the client ACKs or NACKs a CDS response,
 * for it to ask for the endpoints of the clusters it just received. Envoy
 * asks while it applies the CDS response, before or together with its ACK
 * (it pauses EDS during the update and resumes at the end:
 * envoy:source/common/upstream/cds_api_helper.cc); the window only covers a
 * request that comes in a later read from a busy client. Longer only delays
 * routes for clients that never ask here.
 */
export const ENDPOINT_REQUEST_WAIT_MS = 250;

/** Whether a reference is to endpoints the client asks for on this ADS stream. */
export function warmedHere(ref: Reference): boolean {
  return ref.typeUrl === ENDPOINT && ref.overAds === true;
}

/** The server's memoised answer for a whole view (fan-out memo, backed by {@link ClustersOutside}). */
interface OutsideCheck {
  clustersOutside(clusters: TypeView, edsNames: ReadonlySet<string>): boolean;
}

/**
 * Whether an EDS cluster the client holds still lacks an endpoints
 * subscription (Envoy is warming it). `held`: the clusters of `view` the
 * client holds, or WHOLE_VIEW when it holds exactly the view (the cheap,
 * memoised case); `eds`: the stream's endpoint state, if it has one.
 */
export function clustersWarming(view: TypeView, held: Iterable<string> | typeof WHOLE_VIEW, eds: TypeStateBase | undefined, memo: OutsideCheck): boolean {
  if (held === WHOLE_VIEW) {
    // A CLA subscribed but not yet sent is EDS pending work, which holds routes already (push-order.ts);
    // here only "held cluster without an endpoints subscription" counts.
    if (eds && !eds.sub.wildcard && eds.sub.namesFrozen) return memo.clustersOutside(view, eds.sub.names);
    held = view.keys();
  }
  for (const name of held) {
    for (const ref of view.get(name)?.refs ?? []) {
      if (warmedHere(ref) && !eds?.sub.covers(ref.name)) return true;
    }
  }
  return false;
}

/**
 * Whether some EDS-over-ADS cluster of a view needs a ClusterLoadAssignment
 * that a name set lacks. Thousands of streams ask with the same immutable
 * view and the same pooled name set, so one server's answers are memoised
 * on both objects (WeakMaps: they go with the view or the set).
 */
export class ClustersOutside {
  readonly #memo = new WeakMap<TypeView, WeakMap<ReadonlySet<string>, boolean>>();
  #computed = 0;

  /** Answers worked out since the server started (a memo miss each). */
  get computed(): number {
    return this.#computed;
  }

  /** Whether a cluster in `clusters` warmed over ADS has no name in `edsNames`. `edsNames` must never change. */
  check(clusters: TypeView, edsNames: ReadonlySet<string>): boolean {
    let byNames = this.#memo.get(clusters);
    if (!byNames) this.#memo.set(clusters, (byNames = new WeakMap()));
    const known = byNames.get(edsNames);
    if (known !== undefined) return known;
    let outside = false;
    outer: for (const cluster of clusters.values()) {
      for (const ref of cluster.refs) {
        if (warmedHere(ref) && !edsNames.has(ref.name)) {
          outside = true;
          break outer;
        }
      }
    }
    byNames.set(edsNames, outside);
    this.#computed++;
    return outside;
  }
}

/**
 * One stream's window for endpoint requests: opened when the client settles
 * a CDS response, closed by time. Routes wait in it only while a held
 * cluster still lacks an endpoints subscription.
 */
export class EndpointRequestWait {
  /** End of the current window (performance.now() ms); undefined once it is seen to have ended. */
  #until: number | undefined;
  /** Routes waited in the current window for clusters the client had not asked endpoints for. */
  #waited = false;
  /** A whole window passed with clusters to warm and no endpoints asked for on this stream. */
  #elsewhere = false;

  /**
   * The client settled a CDS response. `asksHere`: it has asked for
   * endpoints on this stream at some point.
   */
  open(now: number, asksHere: boolean): void {
    if (this.#until !== undefined && now >= this.#until) this.#ended(asksHere);
    if (asksHere) this.#elsewhere = false;
    if (this.#elsewhere) return;
    // A window still open is extended and keeps what it saw.
    if (this.#until === undefined) this.#waited = false;
    this.#until = now + ENDPOINT_REQUEST_WAIT_MS;
  }

  /**
   * How long routes should still wait (ms; 0 = send them): the rest of the
   * window while `warming()` says a held cluster lacks its endpoints subscription.
   */
  holdMs(now: number, asksHere: boolean, warming: () => boolean): number {
    if (this.#until === undefined) return 0;
    const left = this.#until - now;
    if (left <= 0) {
      this.#ended(asksHere);
      return 0;
    }
    if (!warming()) return 0;
    this.#waited = true;
    return left;
  }

  #ended(asksHere: boolean): void {
    if (this.#waited && !asksHere) this.#elsewhere = true;
    this.#until = undefined;
  }
}

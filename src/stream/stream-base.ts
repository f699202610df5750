/**
 * @module stream/stream-base
 * What SotW and delta streams share: the node and its group, per-type state,
 * type URL checks, registration with the scheduler, and the flush loop that
 * sends pending types in make-before-break order while respecting both the
 * per-type ACK gate and the write buffer (DESIGN.md principle 4: latest wins).
 * The class keeps the stream's state and the per-node hot path (flush,
 * noteChanges, ACK settling); what needs none of its private state lives in
 * plain functions beside it: the per-type state shape (type-state.ts), the
 * status readers' views (describe-state.ts), the send order
 * (send-order.ts), the type URL rule (type-url-check.ts) and the cluster
 * warming check (warming.ts).
 */
import type { Logger } from 'pino';
import { clientString } from '../observe/client-string';
import { CLUSTER, ENDPOINT } from '../xds/type-urls';
import { ROUTE_HOLD_MAX_MS, mayPushNow } from './push-order';
import { EndpointRequestWait, clustersWarming } from './warming';
import type { TypeChange, TypeView } from '../store';
import type { Watch, CancelWatch } from '../push';
import { ANONYMOUS_NODE } from './requests';
import type { NodeInfo } from './requests';
import { NonceSequence } from './nonce';
import type { ResponseSink } from './sink';
import { INTERNAL } from './stream-context';
import type { StreamContext, Variant } from './stream-context';
import type { SyncState, TypeNack } from './sync-state';
import type { StreamSnapshot, TypeSnapshot } from './snapshot';
import type { SentPlan, TypeStateBase, WHOLE_VIEW } from './type-state';
import { syncStateOf, typeNacks, typeSnapshots } from './describe-state';
import { anyPending, sendOrderOf } from './send-order';
import { resolveTypeUrl } from './type-url-check';

/** Common skeleton of one ADS or per-type stream. */
export abstract class StreamBase<S extends TypeStateBase, P extends SentPlan> implements Watch {
  protected readonly ctx: StreamContext;
  protected readonly sink: ResponseSink<P>;
  protected readonly nonces = new NonceSequence();
  protected readonly types = new Map<string, S>();
  readonly #streamId: number;
  /**
   * Built on first use: a pino child costs ~1 KiB per stream, and most
   * streams only ever log their open and close lines, which go through the
   * parent with the same fields (see #bindings).
   */
  #log: Logger | undefined;
  readonly peer: string;
  readonly fixedTypeUrl: string | undefined;
  readonly openedAt = Date.now();
  #node: NodeInfo | undefined;
  #group = '';
  /**
   * The stream opened before the first configuration was loaded, when no
   * group rules existed yet: its group is chosen again at its first flush
   * (the store is ready then). Otherwise a node that reached a replica still
   * loading from etcd would be served the default group until it reconnects.
   */
  #groupUnsettled = false;
  #cancel: CancelWatch | undefined;
  #blocked = false;
  #closed = false;
  /** When the oldest change not yet written to this stream was committed (performance.now()). */
  #dirtySince: number | undefined;
  /** When a response was first held back for ordering, and the timer that ends the hold. */
  #holdSince: number | undefined;
  #holdTimer: NodeJS.Timeout | undefined;
  #holdTimerDue = 0;
  /** Routes wait for endpoint requests only in a short window after each CDS ACK (warming.ts). */
  readonly #endpointWait = new EndpointRequestWait();
  /** Set during a flush when routes wait in that window: how long it has left (ms). */
  #endpointWaitLeftMs: number | undefined;
  #flushQueued = false;
  /**
   * `types` in send order (CDS → EDS → LDS → RDS …), so a flush visits them
   * without building and sorting an array per stream per push. Types are
   * only ever added (and all cleared on close), so a size change is the only
   * sign it must be rebuilt.
   */
  #sendOrder: (readonly [string, S])[] = [];
  // Bound once: the flush loop runs per stream on every fan-out.
  readonly #nextNonce = (): string => this.nonces.next();
  readonly #clustersWarming = (): boolean => this.clustersWarming();
  readonly #warming = (): boolean => {
    const left = this.#endpointWait.holdMs(performance.now(), this.types.has(ENDPOINT), this.#clustersWarming);
    if (left <= 0) return false;
    this.#endpointWaitLeftMs = Math.min(left, this.#endpointWaitLeftMs ?? left);
    return true;
  };

  constructor(ctx: StreamContext, sink: ResponseSink<P>, peer: string, fixedTypeUrl: string | undefined, streamId: number) {
    this.ctx = ctx;
    this.sink = sink;
    this.peer = peer;
    this.fixedTypeUrl = fixedTypeUrl;
    this.#streamId = streamId;
    sink.onDrain(() => {
      this.#blocked = false;
      this.flush();
    });
  }

  abstract readonly variant: Variant;

  /** This stream's logger: its id, and once the first request came, its node and variant. */
  protected get log(): Logger {
    return (this.#log ??= this.ctx.logger.child(this.#bindings()));
  }

  /** What every line of this stream carries, in the order a child logger would write it. */
  #bindings(): Record<string, unknown> {
    if (!this.#node) return { streamId: this.#streamId };
    return { streamId: this.#streamId, node: clientString(this.#node.id), variant: this.variant };
  }

  /** The node from the stream's first request (rule A4). */
  get node(): NodeInfo | undefined {
    return this.#node;
  }

  /** The node group this stream's node belongs to. */
  get group(): string {
    return this.#group;
  }

  /** The types this stream has requested (keys only: the per-type state is the stream's own; read it through describe()). */
  typeStates(): ReadonlyMap<string, unknown> {
    return this.types;
  }

  /** A read-only copy of this stream's state for status pages (CSDS, /nodes); allocates, so not for hot paths. */
  describe(): StreamSnapshot {
    const types = typeSnapshots(this.types, (s) => this.describeWork(s));
    return { node: this.#node, group: this.#group, variant: this.variant, peer: this.peer, blocked: this.#blocked, unflushedBytes: this.sink.unflushedBytes, types };
  }

  /** The variant's part of a type snapshot: pending work and what the client was sent, copied. */
  protected abstract describeWork(state: S): Pick<TypeSnapshot, 'pending' | 'sentCurrent'>;

  /** Where this node stands against what is served now (./sync-state); O(types), no allocation. */
  syncState(): SyncState {
    if (!this.#node || this.#closed) return 'syncing';
    return syncStateOf(this.types, this.ctx.isReady());
  }

  /** The NACKs that make syncState() `nacked`, one per type. */
  nacks(): Iterable<TypeNack> {
    return typeNacks(this.types);
  }

  /** Whether the write buffer is full (or the server-wide write budget is). */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Bytes written to this stream and not yet flushed to its socket. */
  get unflushedBytes(): number {
    return this.sink.unflushedBytes;
  }

  /**
   * What every request does first: resolve its type URL (throws for a bad
   * one), start the stream on the first request, and say whether the type
   * can be served at all. The request's node is read on the first request
   * only (rule A4): the transport decodes it lazily, so later requests that
   * repeat it (Envoy's ACKs do) never pay for decoding it.
   */
  protected admitRequest(req: { readonly typeUrl: string; readonly node?: NodeInfo }): string | undefined {
    const typeUrl = resolveTypeUrl(this.fixedTypeUrl, req.typeUrl);
    if (!this.#node) this.start(req.node);
    return this.isServable(typeUrl) ? typeUrl : undefined;
  }

  /** On the first request: cache the node, pick its group, start watching. */
  protected start(node: NodeInfo | undefined): void {
    if (this.#node || this.#closed) return;
    this.#node = node ?? ANONYMOUS_NODE;
    this.#group = this.ctx.store.groupOf(this.#node);
    this.#groupUnsettled = !this.ctx.isReady();
    // The node id is bound to every later line of this stream: a logger built before it is built again.
    this.#log = undefined;
    if (!node) this.log.warn('first request carried no node; serving the default configuration to an anonymous node');
    this.#cancel = this.ctx.scheduler.register(this);
    if (this.ctx.logger.isLevelEnabled('info')) {
      this.ctx.logger.info({ ...this.#bindings(), peer: this.peer, cluster: clientString(this.#node.cluster), group: this.#group || undefined }, 'stream opened');
    }
    this.ctx.events.onStreamOpen?.(this.variant, this.#node, this.peer);
  }

  /** Choose the group with the configuration now loaded; follow that group's changes from here on. */
  #settleGroup(node: NodeInfo): void {
    this.#groupUnsettled = false;
    const group = this.ctx.store.groupOf(node);
    if (group === this.#group) return;
    // Cancel first: the registration is keyed by the group it was made under.
    this.#cancel?.();
    this.#group = group;
    this.#cancel = this.ctx.scheduler.register(this);
    this.log.info({ group: group || undefined }, 'node group chosen once the first configuration loaded');
  }

  /** Whether a type URL is one we can serve; unknown types get no response (rule F34). */
  protected isServable(typeUrl: string): boolean {
    if (this.ctx.isKnownType(typeUrl)) return true;
    if (this.log.isLevelEnabled('debug')) this.log.debug({ typeUrl: clientString(typeUrl) }, 'request for an unknown type; sending nothing');
    return false;
  }

  /**
   * Record ACK/NACK for a request carrying the type's latest nonce. `request`
   * carries the client's version_info (SotW; read only for a NACK's log line,
   * so an ACK never decodes it).
   */
  protected settle(typeUrl: string, state: S, errorDetail: { code: number; message: string } | undefined, request?: { readonly versionInfo: string }): void {
    const gate = state.ack;
    if (errorDetail) {
      // Kept per type for status pages: keep a bounded copy, not the client's whole message.
      const message = clientString(errorDetail.message);
      gate.nack(message, Date.now());
      this.log.warn({ typeUrl, version: gate.sentVersion, clientVersion: clientString(request?.versionInfo ?? ''), code: errorDetail.code, error: message }, 'NACK');
      this.ctx.events.onNack?.(this.variant, typeUrl, this.#node ?? ANONYMOUS_NODE, errorDetail, gate.sentVersion);
    } else {
      gate.ack();
    }
    if (typeUrl === CLUSTER) this.#endpointWait.open(performance.now(), this.types.has(ENDPOINT));
  }

  /** Canonical (store-held) string for a requested name of `typeUrl`. */
  protected canonicalFor(typeUrl: string): (name: string) => string {
    const view = this.ctx.store.view(this.#group, typeUrl);
    return (name) => view.get(name)?.name ?? name;
  }

  /** The version a written plan is recorded as sent at (status pages, ACKed version). */
  protected abstract versionOf(plan: P): string;

  /** Whether this variant compares the versions a client holds (delta), so a resend must be forced. */
  protected abstract readonly tracksHeldVersions: boolean;

  /** Whether the client holds `name` of the type (SotW cannot know: it counts every subscribed name). */
  protected abstract clientHolds(state: S, name: string): boolean;

  /**
   * Names of the clusters the client holds, or WHOLE_VIEW when it holds
   * exactly the store's view (the cheap, memoised case).
   */
  protected abstract clustersHeld(cds: S, view: TypeView): Iterable<string> | typeof WHOLE_VIEW;

  /** Record a committed batch (Watch); the time feeds the push-latency metric. */
  noteChanges(changes: ReadonlyMap<string, TypeChange>, publishedAt: number): void {
    this.#dirtySince ??= publishedAt;
    try {
      this.markChanges(changes);
      const clusters = changes.get(CLUSTER);
      if (clusters) this.#resendEndpointsOf(clusters.updated);
    } catch (err) {
      this.log.error({ err }, 'internal error while recording changes; ending this stream');
      this.end(INTERNAL, `internal error: ${(err as Error).message}`);
    }
  }

  /** Mark what a committed batch changed; implemented per variant. */
  protected abstract markChanges(changes: ReadonlyMap<string, TypeChange>): void;

  /** Rule D27: a changed EDS cluster needs its ClusterLoadAssignment again, even unchanged. */
  #resendEndpointsOf(clusters: readonly string[]): void {
    const eds = this.types.get(ENDPOINT);
    if (!eds || clusters.length === 0) return;
    const view = this.ctx.store.view(this.#group, CLUSTER);
    for (const name of clusters) {
      for (const ref of view.get(name)?.refs ?? []) {
        if (ref.typeUrl === ENDPOINT && eds.sub.covers(ref.name) && this.clientHolds(eds, ref.name)) eds.pending.add(ref.name, 'updates', this.tracksHeldVersions);
      }
    }
  }

  /** Whether an EDS cluster the client holds still lacks an endpoints subscription (Envoy is warming it). */
  protected clustersWarming(): boolean {
    const cds = this.types.get(CLUSTER);
    if (!cds) return false;
    const view = this.ctx.store.view(this.#group, CLUSTER);
    return clustersWarming(view, this.clustersHeld(cds, view), this.types.get(ENDPOINT), this.ctx.memo);
  }

  /** Build the next response for one type, or undefined if nothing is due. Empties its pending work (take()). */
  protected abstract nextPlan(typeUrl: string, state: S): P | undefined;

  /**
   * Flush after the current burst of requests: a client often sends an ACK
   * and a new subscription back to back, and both should be seen before
   * anything is sent. `onlyType`: the reply settled only that type (a plain
   * ACK), so every other type's pending work is as due as it was before it
   * (held, blocked or awaiting its own ACK, each of which flushes when it
   * ends) and only this type's is checked (one ACK per node per push; each
   * type's state is a cache miss).
   */
  protected requestFlush(onlyType?: S): void {
    if (this.#flushQueued) return;
    // After an ACK with nothing left to send (every node after every push) a flush finds nothing due,
    // no hold to end and no latency to close: skip its setImmediate turn.
    if (this.#holdSince === undefined && this.#dirtySince === undefined && !(onlyType === undefined ? anyPending(this.#sendOrder, this.types) : onlyType.pending.hasAny())) return;
    this.#flushQueued = true;
    setImmediate(this.#queuedFlush);
  }

  /** Bound once: every stream queues a flush on every push, and a closure each time was young garbage. */
  readonly #queuedFlush = (): void => {
    this.#flushQueued = false;
    this.flush();
  };

  /** Send pending responses, CDS → EDS → LDS → RDS …, until the buffer is full. */
  flush(): void {
    // Flushes run from timers and scheduler turns, outside any request handler:
    // a bug here must end this stream, never the process.
    try {
      this.#flush();
    } catch (err) {
      this.log.error({ err }, 'internal error while sending; ending this stream');
      this.end(INTERNAL, `internal error while sending: ${(err as Error).message}`);
    }
  }

  #flush(): void {
    if (this.#closed || this.#blocked || !this.#node || !this.ctx.isReady()) return;
    if (this.#groupUnsettled) this.#settleGroup(this.#node);
    if (this.#sendOrder.length !== this.types.size) this.#sendOrder = sendOrderOf(this.types);
    let held = false;
    this.#endpointWaitLeftMs = undefined;
    // Read once, when the first due type is reached: the loop below changes only the type it plans.
    let holdExpired: boolean | undefined;
    // Indexed, not `for (const [typeUrl, state] of …)`: that destructuring allocates an iterator and its
    // results per type per stream on every fan-out, and the sampling heap profile of a SotW round showed them.
    const order = this.#sendOrder;
    for (let i = 0; i < order.length; i++) {
      const entry = order[i] as readonly [string, S];
      const typeUrl = entry[0];
      const state = entry[1];
      if (state.ack.awaitingAck || !state.pending.hasAny()) continue;
      holdExpired ??= this.#holdSince !== undefined && performance.now() - this.#holdSince >= ROUTE_HOLD_MAX_MS;
      // Per-type services are independent streams: ordering applies to ADS only.
      if (this.fixedTypeUrl === undefined && !holdExpired && !mayPushNow(typeUrl, state, this.types, this.#warming)) {
        held = true;
        continue;
      }
      if (!this.sink.ready()) {
        // This stream's last large response is unflushed, or the server-wide budget is full: wait (onDrain), keep pending coalescing.
        this.#blocked = true;
        return;
      }
      const plan = this.nextPlan(typeUrl, state);
      if (!plan) continue;
      const nonce = this.sink.write(plan, this.#nextNonce);
      state.ack.sent(nonce, this.versionOf(plan), plan.resources[0]?.name ?? '', plan.resources.length);
      if (this.#dirtySince !== undefined) this.ctx.events.onPushLatency?.(this.variant, performance.now() - this.#dirtySince);
      if (!this.sink.mayWriteMore) {
        this.#blocked = true;
        return;
      }
    }
    this.#trackHold(held, this.#endpointWaitLeftMs);
    if (this.#dirtySince !== undefined && !anyPending(this.#sendOrder, this.types)) this.#dirtySince = undefined;
  }

  /** Start, keep or end the ordering hold; flush again when it (or the endpoint-request window, `wakeInMs`) runs out. */
  #trackHold(held: boolean, wakeInMs: number | undefined): void {
    if (!held) {
      this.#holdSince = undefined;
      clearTimeout(this.#holdTimer);
      this.#holdTimer = undefined;
      return;
    }
    const now = performance.now();
    this.#holdSince ??= now;
    let due = this.#holdSince + ROUTE_HOLD_MAX_MS + 1;
    if (wakeInMs !== undefined) due = Math.min(due, now + wakeInMs + 1);
    if (this.#holdTimer && this.#holdTimerDue <= due) return;
    clearTimeout(this.#holdTimer);
    this.#holdTimerDue = due;
    this.#holdTimer = setTimeout(() => {
      this.#holdTimer = undefined;
      this.flush();
    }, due - now);
    this.#holdTimer.unref();
  }

  /** Stop watching; called by the transport when the call ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancel?.();
    clearTimeout(this.#holdTimer);
    this.sink.close();
    if (this.#node) {
      if (this.ctx.logger.isLevelEnabled('info')) this.ctx.logger.info({ ...this.#bindings(), durationMs: Date.now() - this.openedAt }, 'stream closed');
      this.ctx.events.onStreamClose?.(this.variant, this.#node);
    }
    this.types.clear();
    this.#sendOrder = [];
  }

  /** End the stream with a status (drain, limits): closes state, then the call. */
  end(code: number, details: string): void {
    if (this.#closed) return;
    this.close();
    this.sink.end(code, details);
  }

  /** Whether close() ran. */
  get closed(): boolean {
    return this.#closed;
  }
}

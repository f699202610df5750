/**
 * @module loadgen/envoy-node
 * One simulated Envoy: its own gRPC channel (one TCP connection), one ADS
 * stream (or one stream per type), and Envoy's xDS behaviour
 * (docs/protocol.md §E, rules E28–E30):
 *
 * - startup: CDS wildcard, then EDS for the clusters received; LDS once the
 *   clusters are warm (or after initial_fetch_timeout), then RDS for the
 *   route names in the listeners; new references subscribe, dropped ones
 *   unsubscribe;
 * - every response is ACKed (SotW: version, nonce, full names; delta: nonce)
 *   or, for invalid content or a `--nack-rate` draw, NACKed with
 *   error_detail (SotW NACKs repeat the previous accepted version);
 * - a stream that ends is reopened after a jittered backoff; the first
 *   requests carry what the node holds (SotW: last accepted version per type;
 *   delta: initial_resource_versions) and no nonce;
 * - with several targets (replicas), node i starts on target i mod n and,
 *   when a stream ends, reconnects to the next one, as a TCP load balancer
 *   in front of replicas would send it to a live replica.
 *
 * What the node holds lives in shared {@link TypeState}s, so per-node memory
 * is a handful of fields plus gRPC's own connection state.
 */
import * as grpc from '@grpc/grpc-js';
import { Backoff } from './backoff';
import { countEndReason } from './messages';
import type { FleetOptions, WorkerCounters } from './messages';
import type { NameSet, NameSetPool } from './name-set';
import { MalformedMessageError } from './proto-reader';
import { nowMicros } from './stamp';
import type { Stamp } from './stamp';
import type { TypeGraph, Transition } from './type-state';
import { decodeDeltaResponse, decodeSotwResponse } from './xds-decode';
import { CHANNEL_OPTIONS, GRPC_MESSAGE_PREFIX_BYTES, KINDS, TYPE_URL_OF, ackRequest, followRequest, initialRequest, methodPath, nackRequest } from './node-streams';
import type { Kind, Port, Slot } from './node-streams';

export type { Kind } from './node-streams';

const identity = (b: Buffer): Buffer => b;
const SIMULATED_NACK = 'loadgen: simulated rejection (--nack-rate)';

/** A gRPC status code by its name (UNAVAILABLE), as people search for it. */
function statusName(code: number): string {
  return grpc.status[code] ?? `code ${code}`;
}

/** What all nodes of one worker share. */
export interface NodeContext {
  readonly options: FleetOptions;
  readonly graphs: Readonly<Record<Kind, TypeGraph>>;
  readonly names: NameSetPool;
  readonly counters: WorkerCounters;
  readonly credentials: grpc.ChannelCredentials;
  /** The server addresses (host:port), from {@link FleetOptions.target}. */
  readonly targets: readonly string[];
  /** The node's Node message bytes, sent on each stream's first request. */
  nodeBytes(index: number): Buffer;
  /** A response carrying stamps was accepted (or NACKed) at `atMicros`. */
  onStamps(node: EnvoyNode, stamps: readonly Stamp[], atMicros: number, nacked: boolean): void;
  /** A node that held a full config before accepted new resource versions (see {@link Transition.versions}) at `atMicros`. */
  onVersions(node: EnvoyNode, versions: readonly string[], atMicros: number): void;
  /** The node's full-config state changed. */
  onSyncChange(node: EnvoyNode, inSync: boolean, firstTime: boolean): void;
}

/** One simulated Envoy. */
export class EnvoyNode {
  readonly index: number;
  readonly slow: boolean;
  startedAtMicros = 0;
  syncedAtMicros = 0;
  inSync = false;
  paused = false;
  /** Times this node moved to another target after a stream ended. */
  moves = 0;
  readonly #ctx: NodeContext;
  readonly #delta: boolean;
  readonly #slots: Record<Kind, Slot>;
  readonly #ports: Port[];
  #client: grpc.Client | undefined;
  /** Index into the fleet's targets of the replica {@link #client} talks to. */
  #targetIndex: number;
  #ldsTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(index: number, ctx: NodeContext, slow: boolean) {
    this.index = index;
    this.slow = slow;
    this.#ctx = ctx;
    this.#delta = ctx.options.variant === 'delta';
    this.#targetIndex = index % ctx.targets.length;
    const port = (path: string): Port => ({ path, kinds: [], call: undefined, callTarget: -1, nodeSent: false, backoff: new Backoff(), timer: undefined });
    const ads = ctx.options.ads ? port(methodPath('cds', true, this.#delta)) : undefined;
    this.#ports = ads ? [ads] : [];
    const slots: Partial<Record<Kind, Slot>> = {};
    for (const kind of KINDS) {
      let p = ads;
      if (!p) {
        p = port(methodPath(kind, false, this.#delta));
        this.#ports.push(p);
      }
      p.kinds.push(kind);
      const graph = ctx.graphs[kind];
      slots[kind] = {
        kind,
        typeUrl: TYPE_URL_OF[kind],
        graph,
        port: p,
        started: false,
        received: false,
        state: graph.initial,
        version: '',
        nonce: '',
        wanted: kind === 'cds' || kind === 'lds' ? null : ctx.names.empty,
      };
    }
    this.#slots = slots as Record<Kind, Slot>;
  }

  /** Whether every stream this node has opened is currently open. */
  get connected(): boolean {
    // Plain loops: the fleet's progress report asks every node this five times a second.
    let any = false;
    for (const p of this.#ports) {
      let used = false;
      for (const k of p.kinds) used ||= this.#slots[k].started;
      if (used) {
        if (!p.call) return false;
        any = true;
      }
    }
    return any;
  }

  /** Open the connection and subscribe to CDS, as Envoy does at startup. */
  start(): void {
    this.startedAtMicros = nowMicros();
    this.#client = this.#connect();
    this.#startSlot(this.#slots.cds);
    this.#ldsTimer = setTimeout(() => this.#startSlot(this.#slots.lds), this.#ctx.options.initialFetchTimeoutMs);
  }

  /** The target this node is currently connected to (host:port). */
  get target(): string {
    return this.#ctx.targets[this.#targetIndex] as string;
  }

  #connect(): grpc.Client {
    return new grpc.Client(this.target, this.#ctx.credentials, CHANNEL_OPTIONS);
  }

  /**
   * A stream on the current target ended: with several targets, move to the
   * next one (once per failure: the node's other streams on the same target
   * end too and then simply reopen on the new connection).
   */
  #moveOn(failedTarget: number): void {
    if (this.#ctx.targets.length < 2 || failedTarget !== this.#targetIndex || this.#stopped) return;
    this.#targetIndex = (this.#targetIndex + 1) % this.#ctx.targets.length;
    this.#client?.close();
    this.#client = this.#connect();
    this.moves++;
  }

  /** Close every stream and the connection; no reconnects after this. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#ldsTimer);
    for (const p of this.#ports) {
      clearTimeout(p.timer);
      const call = p.call;
      p.call = undefined;
      call?.cancel();
    }
    this.#client?.close();
  }

  #startSlot(slot: Slot): void {
    if (slot.started || this.#stopped) return;
    slot.started = true;
    if (slot.kind === 'lds') clearTimeout(this.#ldsTimer);
    if (slot.port.call) this.#send(slot, initialRequest(slot, this.#delta, this.#nodeOnce(slot.port)));
    else if (!slot.port.timer) this.#open(slot.port);
  }

  #open(port: Port): void {
    port.timer = undefined;
    if (this.#stopped || !this.#client) return;
    const call = this.#client.makeBidiStreamRequest(port.path, identity, identity, new grpc.Metadata(), {});
    port.call = call;
    port.callTarget = this.#targetIndex;
    port.nodeSent = false;
    this.#ctx.counters.streamsOpened++;
    let ended = false;
    const onEnd = (reason: string): void => {
      if (ended) return;
      ended = true;
      this.#closed(port, call, reason);
    };
    call.on('data', (buf: Buffer) => this.#onMessage(port, buf));
    call.on('error', (err: grpc.ServiceError) => onEnd(`${statusName(err.code)} ${err.details}`));
    call.on('status', (s: grpc.StatusObject) => onEnd(`${statusName(s.code)} ${s.details}`));
    // Reconnect replay: one request per started type, in subscription order.
    for (const kind of port.kinds) {
      const slot = this.#slots[kind];
      slot.nonce = '';
      if (slot.started) this.#send(slot, initialRequest(slot, this.#delta, this.#nodeOnce(slot.port)));
    }
    if (this.paused) call.pause();
  }

  #closed(port: Port, call: grpc.ClientDuplexStream<Buffer, Buffer>, reason: string): void {
    if (port.call !== call) return;
    port.call = undefined;
    this.#ctx.counters.streamsEnded++;
    countEndReason(this.#ctx.counters, reason);
    if (this.#stopped) return;
    this.#moveOn(port.callTarget);
    port.timer = setTimeout(() => this.#open(port), port.backoff.nextDelayMs());
  }

  #send(slot: Slot, bytes: Buffer): void {
    const call = slot.port.call;
    if (!call) return; // replayed from state when the stream reopens
    call.write(bytes);
    const c = this.#ctx.counters.tx[slot.kind] as { bytes: number; messages: number };
    c.bytes += bytes.length + GRPC_MESSAGE_PREFIX_BYTES;
    c.messages++;
  }

  #nodeOnce(port: Port): Buffer | undefined {
    if (port.nodeSent) return undefined;
    port.nodeSent = true;
    return this.#ctx.nodeBytes(this.index);
  }

  #onMessage(port: Port, buf: Buffer): void {
    const at = nowMicros();
    const ctx = this.#ctx;
    let response: ReturnType<typeof decodeSotwResponse> | ReturnType<typeof decodeDeltaResponse>;
    try {
      response = this.#delta ? decodeDeltaResponse(buf) : decodeSotwResponse(buf);
    } catch (err) {
      if (!(err instanceof MalformedMessageError)) throw err;
      ctx.counters.malformed++;
      return;
    }
    let slot: Slot | undefined;
    for (const k of port.kinds) if (this.#slots[k].typeUrl === response.typeUrl) slot = this.#slots[k];
    const rx = ctx.counters.rx[slot?.kind ?? 'other'] as { bytes: number; messages: number };
    rx.bytes += buf.length + GRPC_MESSAGE_PREFIX_BYTES;
    rx.messages++;
    // Envoy drops responses for types it never subscribed to, unACKed (rule E29).
    if (!slot || !slot.started) return;
    port.backoff.reset();
    const decodesBefore = slot.graph.decodes;
    const t: Transition = this.#delta
      ? slot.graph.applyDelta(slot.state, response as ReturnType<typeof decodeDeltaResponse>)
      : slot.graph.applySotw(slot.state, response as ReturnType<typeof decodeSotwResponse>);
    ctx.counters.decodes += slot.graph.decodes - decodesBefore;
    slot.nonce = response.nonce;
    const nack = t.error !== undefined || (ctx.options.nackRate > 0 && Math.random() < ctx.options.nackRate);
    if (nack) {
      ctx.counters.nacks++;
      this.#send(slot, nackRequest(slot, this.#delta, response.nonce, t.error ?? SIMULATED_NACK));
      if (t.stamps.length) ctx.onStamps(this, t.stamps, at, true);
      return;
    }
    slot.state = t.next;
    slot.received = true;
    ctx.counters.acks++;
    if (!this.#delta) slot.version = (response as ReturnType<typeof decodeSotwResponse>).versionInfo;
    this.#send(slot, ackRequest(slot, this.#delta, response.nonce));
    if (t.stamps.length) ctx.onStamps(this, t.stamps, at, false);
    // Only after the first full config: the initial load is not a change the fleet converges on.
    if (t.versions.length && this.syncedAtMicros > 0) ctx.onVersions(this, t.versions, at);
    this.#afterApply(slot);
  }

  /** Follow references: CDS drives EDS names, LDS drives RDS names; warm-up gates LDS. */
  #afterApply(slot: Slot): void {
    const s = this.#slots;
    if (slot.kind === 'cds') this.#follow(s.eds, slot.state.deps);
    else if (slot.kind === 'lds') this.#follow(s.rds, slot.state.deps);
    if (!s.lds.started && s.cds.received && s.eds.state.covers(s.cds.state.deps)) this.#startSlot(s.lds);
    this.#checkSync();
  }

  #follow(dep: Slot, names: NameSet): void {
    const before = dep.wanted as NameSet;
    if (before === names) return;
    dep.wanted = names;
    if (!dep.started) {
      if (names.size > 0) this.#startSlot(dep);
      return;
    }
    // Envoy forgets unsubscribed resources (they are not in a later initial_resource_versions).
    if (this.#delta) dep.state = dep.graph.retain(dep.state, names);
    this.#send(dep, followRequest(dep, this.#delta, before, names));
  }

  #checkSync(): void {
    const s = this.#slots;
    const full = s.cds.received && s.lds.received && s.eds.state.covers(s.cds.state.deps) && s.rds.state.covers(s.lds.state.deps);
    if (full === this.inSync) return;
    this.inSync = full;
    const first = full && this.syncedAtMicros === 0;
    if (first) this.syncedAtMicros = nowMicros();
    this.#ctx.onSyncChange(this, full, first);
    if (first && this.slow) this.pauseReading();
  }

  /** Stop reading responses (a slow consumer): gRPC flow control then pushes back on the server. */
  pauseReading(): void {
    this.paused = true;
    for (const p of this.#ports) p.call?.pause();
  }
}

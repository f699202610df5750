/**
 * @module test/helpers/ads-client
 * A raw xDS test client over @grpc/grpc-js: one bidi stream (ADS or a
 * per-type service, SotW or delta), requests built from plain objects,
 * responses decoded and queued for `next()`. Every response is checked
 * against the invariants in ./invariants and violations are recorded, so a
 * test fails on them even when it looks elsewhere.
 *
 * The client is deliberately thin: it tracks only what a real client must
 * (per-type names, last nonce, last accepted version, held delta versions)
 * so tests can speak the protocol in one line and still send any raw
 * request they need.
 */
import * as grpc from '@grpc/grpc-js';
import { checkResponse } from './invariants';
import { ResponseQueue, describeResponse } from './response-queue';
import { adsPath, perTypePath } from './service-paths';
import { decodeResponse, encodeDeltaRequest, encodeSotwRequest } from './xds-codec';
import type { DeltaRequest, NodeSpec, Received, SotwRequest, Variant } from './xds-codec';

export type { DeltaRequest, NodeSpec, Received, SotwRequest, Variant } from './xds-codec';

/** How to open a stream. */
export interface ConnectOptions {
  readonly variant: Variant;
  /** `ads` (default) or the per-type service for `typeUrl`. */
  readonly service?: 'ads' | 'per-type';
  /** Type whose per-type service to open (required with `service: 'per-type'`). */
  readonly typeUrl?: string;
  /** Explicit method path, overriding service/typeUrl (e.g. the v2 path). */
  readonly path?: string;
  /** Node sent on the first request; `null` sends none. Default {@link DEFAULT_NODE}. */
  readonly node?: NodeSpec | null;
  /** Envoy repeats the node on every request; gRPC sends it once (rule A4). Default false. */
  readonly nodeOnEveryRequest?: boolean;
  /** Extra channel options, e.g. raised message size limits. */
  readonly channelOptions?: grpc.ChannelOptions;
  /** Address to connect to (an IPv6 literal without brackets is fine). Default 127.0.0.1. */
  readonly host?: string;
  /** How long the channel may take to become ready. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /**
   * Awaited once the channel is ready, before the stream opens. Many clients
   * awaiting one promise open their streams in the same tick: a burst the
   * server sees however slowly the connections came up.
   */
  readonly beforeStream?: () => Promise<void>;
}

/** Node used unless a test names another. */
export const DEFAULT_NODE: NodeSpec = { id: 'test-node', cluster: 'test-cluster' };
/**
 * Default wait for an expected response. Generous: pushes are debounced and a
 * CI machine busy with other jobs can pause a process for seconds; a response
 * that never comes still fails the test, only later.
 */
export const NEXT_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;

interface SotwTypeState {
  names: string[];
  accepted: string;
  nonce: string;
}

/** One xDS stream to the server under test. */
export class AdsClient {
  readonly variant: Variant;
  readonly path: string;
  /** Every response received on the stream, in order. */
  readonly responses: Received[] = [];
  /** Invariant violations seen so far (see ./invariants). */
  readonly violations: string[] = [];
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly #node: NodeSpec | null;
  readonly #nodeOnEveryRequest: boolean;
  readonly #inbox = new ResponseQueue();
  readonly #statusWaiters: ((s: grpc.StatusObject) => void)[] = [];
  readonly #requestedTypes = new Set<string>();
  readonly #seenNonces = new Set<string>();
  readonly #sotw = new Map<string, SotwTypeState>();
  readonly #held = new Map<string, Map<string, string>>();
  #status: grpc.StatusObject | undefined;
  #sentFirst = false;
  #closed = false;

  private constructor(client: grpc.Client, path: string, options: ConnectOptions) {
    this.variant = options.variant;
    this.path = path;
    this.#client = client;
    this.#node = options.node === undefined ? DEFAULT_NODE : options.node;
    this.#nodeOnEveryRequest = options.nodeOnEveryRequest ?? false;
    const identity = (b: Buffer): Buffer => b;
    this.#call = client.makeBidiStreamRequest<Buffer, Buffer>(path, identity, identity);
    this.#call.on('data', (b: Buffer) => this.#onData(b));
    this.#call.on('error', () => {
      /* the status event carries the code; without this listener an error status would throw */
    });
    this.#call.on('status', (s: grpc.StatusObject) => {
      this.#status = s;
      for (const w of this.#statusWaiters.splice(0)) w(s);
      this.#inbox.failWaiters((t) => `stream ended with ${grpc.status[s.code]} "${s.details}" while waiting for ${t ?? 'any response'}`);
    });
  }

  /** Open a stream once the channel is ready. */
  static async connect(port: number, options: ConnectOptions): Promise<AdsClient> {
    const path = options.path ?? (options.service === 'per-type' ? perTypePath(options.typeUrl ?? '', options.variant) : adsPath(options.variant));
    const host = options.host ?? '127.0.0.1';
    const client = new grpc.Client(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.credentials.createInsecure(), options.channelOptions ?? {});
    try {
      await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + (options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS), (err) => (err ? reject(err) : resolve())));
      await options.beforeStream?.();
    } catch (err) {
      // A channel that never became ready keeps reconnecting in the background until it is closed. An attempt
      // already under way when it closes may still complete (see test/fault/connection-limits.test.ts).
      client.close();
      throw err;
    }
    return new AdsClient(client, path, options);
  }

  /** Node features, for invariant checks. */
  get clientFeatures(): readonly string[] {
    return this.#node?.clientFeatures ?? [];
  }

  /** The final status, once the stream has ended. */
  get status(): grpc.StatusObject | undefined {
    return this.#status;
  }

  /** Send one request (SotW or delta by the stream's variant). The node goes on the first request only, unless configured otherwise. */
  send(req: SotwRequest | DeltaRequest): void {
    let node: NodeSpec | undefined;
    if (req.node === null) node = undefined;
    else if (req.node) node = req.node;
    else if (!this.#sentFirst || this.#nodeOnEveryRequest) node = this.#node ?? undefined;
    this.#sentFirst = true;
    this.#requestedTypes.add(req.typeUrl);
    if (this.variant === 'sotw') {
      const r = req as SotwRequest;
      if (r.resourceNames) this.#sotwState(r.typeUrl).names = [...r.resourceNames];
      this.#call.write(encodeSotwRequest(r, node));
    } else {
      this.#call.write(encodeDeltaRequest(req as DeltaRequest, node));
    }
  }

  /** Write bytes as a request message, unchecked (for malformed-input tests). */
  sendRaw(bytes: Buffer): void {
    this.#sentFirst = true;
    this.#call.write(bytes);
  }

  /**
   * Subscribe to more names of a type, as a real client does. SotW: the full
   * list (old ∪ new) with the last accepted version and last nonce. Delta:
   * `resource_names_subscribe`, no nonce. `subscribe(type, [])` as the first
   * request of a type is the legacy wildcard in both variants.
   */
  subscribe(typeUrl: string, names: readonly string[]): void {
    if (this.variant === 'delta') {
      this.send({ typeUrl, resourceNamesSubscribe: names });
      return;
    }
    const st = this.#sotwState(typeUrl);
    const all = [...st.names, ...names.filter((n) => !st.names.includes(n))];
    this.send({ typeUrl, resourceNames: all, ...this.#sotwVersionNonce(typeUrl) });
  }

  /** Subscribe, wait for the next response of that type, ACK it and return it. */
  async fetch(typeUrl: string, names: readonly string[], options: { timeoutMs?: number } = {}): Promise<Received> {
    this.subscribe(typeUrl, names);
    const r = await this.next(typeUrl, options);
    this.ack(r);
    return r;
  }

  /** SotW: request exactly `names` for a type, with the last accepted version and last nonce. */
  requestNames(typeUrl: string, names: readonly string[]): void {
    this.send({ typeUrl, resourceNames: names, ...this.#sotwVersionNonce(typeUrl) });
  }

  /** Drop names: SotW sends the reduced full list, delta `resource_names_unsubscribe`. */
  unsubscribe(typeUrl: string, names: readonly string[]): void {
    if (this.variant === 'delta') {
      this.send({ typeUrl, resourceNamesUnsubscribe: names });
      return;
    }
    const st = this.#sotwState(typeUrl);
    this.send({ typeUrl, resourceNames: st.names.filter((n) => !names.includes(n)), ...this.#sotwVersionNonce(typeUrl) });
  }

  /** ACK a response: SotW echoes version, nonce and the current names; delta sends the nonce. */
  ack(r: Received): void {
    if (this.variant === 'delta') {
      this.send({ typeUrl: r.typeUrl, responseNonce: r.nonce });
      return;
    }
    const st = this.#sotwState(r.typeUrl);
    st.accepted = r.versionInfo;
    this.send({ typeUrl: r.typeUrl, versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: st.names });
  }

  /**
   * NACK a response with `error_detail`. SotW sends the last accepted version
   * (Envoy's way) unless `version` is given (grpc-node may send the new one, rule B7).
   */
  nack(r: Received, message: string, options: { code?: number; version?: string } = {}): void {
    const errorDetail = { code: options.code ?? grpc.status.INTERNAL, message };
    if (this.variant === 'delta') {
      this.send({ typeUrl: r.typeUrl, responseNonce: r.nonce, errorDetail });
      return;
    }
    const st = this.#sotwState(r.typeUrl);
    this.send({ typeUrl: r.typeUrl, versionInfo: options.version ?? st.accepted, responseNonce: r.nonce, resourceNames: st.names, errorDetail });
  }

  /** SotW: names currently requested for a type. */
  names(typeUrl: string): readonly string[] {
    return this.#sotwState(typeUrl).names;
  }

  /** SotW: last version this client ACKed for a type ('' if none). */
  acceptedVersion(typeUrl: string): string {
    return this.#sotwState(typeUrl).accepted;
  }

  /** Delta: name → version the client holds for a type, from the responses so far. */
  heldVersions(typeUrl: string): Record<string, string> {
    return Object.fromEntries(this.#held.get(typeUrl) ?? new Map<string, string>());
  }

  /** Next unconsumed response (of `typeUrl` if given; others stay queued). Fails on recorded violations. */
  next(typeUrl?: string, options: { timeoutMs?: number } = {}): Promise<Received> {
    this.assertNoViolations();
    const queued = this.#inbox.take(typeUrl);
    if (queued) return Promise.resolve(queued);
    if (this.#status) return Promise.reject(new Error(`stream already ended with ${grpc.status[this.#status.code]} "${this.#status.details}"`));
    const timeoutMs = options.timeoutMs ?? NEXT_TIMEOUT_MS;
    return this.#inbox.wait(typeUrl, timeoutMs, () => `no ${typeUrl ?? 'response'} within ${timeoutMs} ms; received so far: ${this.responses.map(describeResponse).join(' | ') || 'nothing'}`);
  }

  /**
   * Consume responses of a type until one satisfies `pred` (ACKing each when
   * `ack` is set, as a live client would); returns the matching one.
   */
  async until(typeUrl: string, pred: (r: Received) => boolean, options: { timeoutMs?: number; ack?: boolean } = {}): Promise<Received> {
    const deadline = Date.now() + (options.timeoutMs ?? NEXT_TIMEOUT_MS);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching ${typeUrl} before the deadline; received: ${this.responses.map(describeResponse).join(' | ')}`);
      const r = await this.next(typeUrl, { timeoutMs: left });
      if (options.ack) this.ack(r);
      if (pred(r)) return r;
    }
  }

  /** Wait `ms` and fail if any (matching) response arrived meanwhile or was already queued. */
  async expectSilence(ms: number, typeUrl?: string): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    this.assertNoViolations();
    const unexpected = this.#inbox.peek(typeUrl);
    if (unexpected.length > 0) throw new Error(`expected no ${typeUrl ?? 'response'} but got: ${unexpected.map(describeResponse).join(' | ')}`);
  }

  /** Remove and return queued responses (of a type). */
  drain(typeUrl?: string): Received[] {
    return this.#inbox.drain(typeUrl);
  }

  /** Resolves with the final status once the stream ends; rejects after `timeoutMs`. */
  ended(timeoutMs = NEXT_TIMEOUT_MS): Promise<grpc.StatusObject> {
    if (this.#status) return Promise.resolve(this.#status);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stream still open after ${timeoutMs} ms`)), timeoutMs);
      this.#statusWaiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }

  /** Half-close: the client is done sending (rule F36). */
  halfClose(): void {
    this.#call.end();
  }

  /** Cancel the stream (if still open) and close the channel. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#status) this.#call.cancel();
    this.#client.close();
    this.#inbox.failWaiters(() => 'client closed');
  }

  /** Throw if any response so far broke an invariant. */
  assertNoViolations(): void {
    if (this.violations.length > 0) throw new Error(`protocol violations on ${this.path}:\n  ${this.violations.join('\n  ')}`);
  }

  #sotwState(typeUrl: string): SotwTypeState {
    let st = this.#sotw.get(typeUrl);
    if (!st) {
      st = { names: [], accepted: '', nonce: '' };
      this.#sotw.set(typeUrl, st);
    }
    return st;
  }

  #sotwVersionNonce(typeUrl: string): { versionInfo?: string; responseNonce?: string } {
    const st = this.#sotwState(typeUrl);
    return { ...(st.accepted ? { versionInfo: st.accepted } : {}), ...(st.nonce ? { responseNonce: st.nonce } : {}) };
  }

  #onData(bytes: Buffer): void {
    let r: Received;
    try {
      r = decodeResponse(this.variant, bytes, this.responses.length);
    } catch (err) {
      this.violations.push(`response #${this.responses.length} does not decode: ${(err as Error).message}`);
      return;
    }
    this.violations.push(...checkResponse(r, { requestedTypes: this.#requestedTypes, seenNonces: this.#seenNonces, clientFeatures: this.clientFeatures }));
    this.responses.push(r);
    if (this.variant === 'sotw') this.#sotwState(r.typeUrl).nonce = r.nonce;
    else {
      let held = this.#held.get(r.typeUrl);
      if (!held) this.#held.set(r.typeUrl, (held = new Map()));
      for (const res of r.resources) if (res.version) held.set(res.name, res.version);
      for (const n of r.removed) held.delete(n);
    }
    this.#inbox.push(r);
  }
}

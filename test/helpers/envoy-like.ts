/**
 * @module test/helpers/envoy-like
 * The test suites' one Envoy-like client: a scripted client that behaves as
 * Envoy does on the wire, over SotW or delta, on ADS (one stream) or on the
 * per-type services (one stream per type).
 *
 * - Startup (rule E28, envoy:docs/root/intro/arch_overview/operations/init.rst):
 *   CDS wildcard; EDS by name for the EDS clusters it holds (their
 *   `service_name`, else the cluster name), following every CDS change; once
 *   those clusters have endpoints, LDS wildcard; then RDS by name for the
 *   route configs its listeners' HTTP connection managers name. Envoy's
 *   initial fetch timeout (go on without endpoints after 15 s) is not
 *   modelled: a test whose EDS clusters never get endpoints never sees LDS.
 * - ACK and NACK (rule E29): every accepted response is applied, then ACKed
 *   (SotW with its version, nonce and full name list; delta with its nonce);
 *   a response it cannot use (a resource without a body, a delta resource
 *   whose name is not its body's) is NACKed at the previous version with
 *   code 13 and recorded in `nacks`. Responses of types it never asked for
 *   are dropped unanswered; EDS and RDS resources it did not ask for are
 *   ignored; SotW CDS and LDS responses replace what it holds.
 * - It repeats its node on every request (Envoy's default,
 *   `set_node_on_first_message_only: false`).
 *
 * Every stream is an {@link AdsClient}, so each response is also checked
 * against the protocol invariants; a violation or a stream that ends while
 * the client is open is the client's `error`, and every wait fails on it.
 */
import { AdsClient } from './ads-client';
import type { NodeSpec, Received, Variant } from './ads-client';
import { describeResponse } from './response-queue';
import { T } from './service-paths';
import { routeConfigNamesOf, viewOf } from './client-view';
import type { ClientView } from './client-view';

/** How the client connects. */
export interface EnvoyLikeOptions {
  readonly variant: Variant;
  /** ADS (default) or Envoy's per-type services, one stream per type. */
  readonly service?: 'ads' | 'per-type';
  readonly node?: NodeSpec;
  /** Ask for `["*"]` instead of the legacy empty list. */
  readonly explicitWildcard?: boolean;
}

/** Names held per type, sorted. */
export interface HeldNames {
  readonly clusters: string[];
  readonly endpoints: string[];
  readonly listeners: string[];
  readonly routes: string[];
}

type Body = Record<string, any>;
const DEFAULT_NODE: NodeSpec = { id: 'test-id', cluster: 'test-cluster' };
const FULL_STATE_SOTW = new Set<string>([T.CLUSTER, T.LISTENER]);
const SCRIPT_TYPES = [T.CLUSTER, T.ENDPOINT, T.LISTENER, T.ROUTE] as const;
/** How long the script waits for one response before it looks again: only bounds a wait that nothing else ends. */
const QUIET_STREAM_MS = 60_000;
/** Re-check of a wait's condition when no response arrives (it may depend on more than this client). */
const WAIT_POLL_MS = 50;

/** The name EDS is asked for by an EDS cluster, or undefined for any other cluster. */
function edsNameOf(cluster: Body): string | undefined {
  if (cluster['type'] !== 'EDS') return undefined;
  const serviceName = cluster['edsClusterConfig']?.['serviceName'];
  return typeof serviceName === 'string' && serviceName !== '' ? serviceName : (cluster['name'] as string);
}

function bodyNameOf(body: Body): string {
  return String(body['name'] ?? body['clusterName'] ?? '');
}

/** An Envoy-like client; its applied config is in the four maps. */
export class EnvoyLike {
  readonly clusters = new Map<string, Body>();
  readonly endpoints = new Map<string, Body>();
  readonly listeners = new Map<string, Body>();
  readonly routes = new Map<string, Body>();
  /** Every response on any of its streams, in the order the script handled them (accepted or not). */
  readonly log: Received[] = [];
  /** `type: reason` of every NACK sent. */
  readonly nacks: string[] = [];
  readonly #streams: ReadonlyMap<string, AdsClient>;
  readonly #options: EnvoyLikeOptions;
  /** Named subscriptions of EDS and RDS. */
  readonly #names = new Map<string, string[]>([
    [T.ENDPOINT, []],
    [T.ROUTE, []],
  ]);
  readonly #waiters = new Set<() => void>();
  #ldsStarted = false;
  #closed = false;
  #error: Error | undefined;

  private constructor(streams: ReadonlyMap<string, AdsClient>, options: EnvoyLikeOptions) {
    this.#streams = streams;
    this.#options = options;
  }

  /** Connect (once the channel is ready) and send the initial CDS wildcard. */
  static async start(port: number, options: EnvoyLikeOptions): Promise<EnvoyLike> {
    const node = options.node ?? DEFAULT_NODE;
    const streams = new Map<string, AdsClient>();
    if (options.service === 'per-type') {
      for (const t of SCRIPT_TYPES) {
        streams.set(t, await AdsClient.connect(port, { variant: options.variant, service: 'per-type', typeUrl: t, node, nodeOnEveryRequest: true }));
      }
    } else {
      const one = await AdsClient.connect(port, { variant: options.variant, node, nodeOnEveryRequest: true });
      for (const t of SCRIPT_TYPES) streams.set(t, one);
    }
    const envoy = new EnvoyLike(streams, options);
    for (const c of new Set(streams.values())) void envoy.#pump(c);
    envoy.#wildcard(T.CLUSTER);
    return envoy;
  }

  /** Every stream the client opened (one for ADS). */
  get streams(): AdsClient[] {
    return [...new Set(this.#streams.values())];
  }

  get variant(): Variant {
    return this.#options.variant;
  }

  /** First error the script hit (a protocol violation or a stream that ended), if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Names held per type, for assertions and failure messages. */
  summary(): HeldNames {
    const keys = (m: Map<string, Body>): string[] => [...m.keys()].sort();
    return { clusters: keys(this.clusters), endpoints: keys(this.endpoints), listeners: keys(this.listeners), routes: keys(this.routes) };
  }

  /** What the client holds, summarised for deepEqual. */
  view(): ClientView {
    return viewOf(this);
  }

  /** The responses handled so far, one line each, for failure messages. */
  describeLog(): string {
    return this.log.map(describeResponse).join('; ');
  }

  /** Wait until the applied config holds exactly these names (types left out are not checked). */
  async waitConverged(expected: Partial<HeldNames>, timeoutMs = 10_000): Promise<void> {
    const matches = (): boolean => {
      const now = this.summary();
      return (Object.keys(expected) as (keyof HeldNames)[]).every((k) => JSON.stringify(now[k]) === JSON.stringify([...(expected[k] ?? [])].sort()));
    };
    await this.waitUntil(matches, timeoutMs, `config ${JSON.stringify(expected)}`);
  }

  /**
   * Wait until `pred` holds (checked on every response and every few ms);
   * fails early if the script hit an error. `what` describes the goal, or
   * builds the whole failure message at the time of failure.
   */
  async waitUntil(pred: () => boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const describe = (): string => (typeof what === 'string' ? `${what}; it holds ${JSON.stringify(this.summary())}` : what());
    while (!pred()) {
      if (this.#error) throw new Error(`${this.variant} envoy-like client failed while waiting: ${this.#error.message}; ${describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.variant} envoy-like client did not get there in ${timeoutMs} ms: ${describe()}`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, WAIT_POLL_MS));
        this.#waiters.add(done);
      });
    }
  }

  close(): void {
    this.#closed = true;
    for (const c of this.streams) c.close();
    this.#notify();
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  #stream(typeUrl: string): AdsClient {
    const c = this.#streams.get(typeUrl);
    if (!c) throw new Error(`no stream for ${typeUrl}`);
    return c;
  }

  #wildcard(typeUrl: string): void {
    this.#stream(typeUrl).subscribe(typeUrl, this.#options.explicitWildcard ? ['*'] : []);
  }

  async #pump(c: AdsClient): Promise<void> {
    while (!this.#closed) {
      let r: Received;
      try {
        r = await c.next(undefined, { timeoutMs: QUIET_STREAM_MS });
        // A response handed straight to a waiting next() skipped its violation check.
        c.assertNoViolations();
      } catch (err) {
        // A quiet stream is no error: look again. A violation or an ended stream is.
        if (!this.#closed && c.status === undefined && c.violations.length === 0) continue;
        if (!this.#closed) this.#error ??= err as Error;
        this.#notify();
        return;
      }
      this.#handle(c, r);
      this.#notify();
    }
  }

  #handle(c: AdsClient, r: Received): void {
    const map = this.#mapOf(r.typeUrl);
    if (!map) return; // a type the script never asked for: dropped, not answered (rule E29)
    this.log.push(r);
    const problem = this.#rejection(r);
    if (problem !== undefined) {
      this.nacks.push(`${r.typeUrl}: ${problem}`);
      c.nack(r, problem);
      return;
    }
    if (this.variant === 'sotw' && FULL_STATE_SOTW.has(r.typeUrl)) map.clear();
    const wanted = this.#names.get(r.typeUrl);
    for (const res of r.resources) {
      if (wanted && !wanted.includes(res.name)) continue; // Envoy ignores resources it did not ask for
      if (res.body) map.set(res.name, res.body);
    }
    for (const name of r.removed) map.delete(name);
    c.ack(r);
    if (r.typeUrl === T.CLUSTER) {
      this.#follow(T.ENDPOINT, [...new Set([...this.clusters.values()].map(edsNameOf).filter((n): n is string => n !== undefined))]);
    }
    if (r.typeUrl === T.LISTENER) this.#follow(T.ROUTE, [...new Set([...this.listeners.values()].flatMap(routeConfigNamesOf))]);
    const edsNames = this.#names.get(T.ENDPOINT) ?? [];
    if (!this.#ldsStarted && (r.typeUrl === T.CLUSTER || r.typeUrl === T.ENDPOINT) && edsNames.every((n) => this.endpoints.has(n))) {
      this.#ldsStarted = true;
      this.#wildcard(T.LISTENER);
    }
  }

  /** Why Envoy would reject this response, or undefined if it would accept it. */
  #rejection(r: Received): string | undefined {
    for (const res of r.resources) {
      if (!res.body) return `resource "${res.name}" has no body`;
      if (r.variant === 'delta' && res.name !== bodyNameOf(res.body)) return `Resource.name "${res.name}" differs from the body's name "${bodyNameOf(res.body)}"`;
    }
    return undefined;
  }

  /** Change the named subscription of EDS or RDS to `now`, as Envoy does when clusters or listeners change. */
  #follow(typeUrl: string, now: string[]): void {
    const old = this.#names.get(typeUrl) ?? [];
    const added = now.filter((n) => !old.includes(n));
    const removed = old.filter((n) => !now.includes(n));
    if (added.length === 0 && removed.length === 0) return;
    this.#names.set(typeUrl, now);
    const c = this.#stream(typeUrl);
    if (this.variant === 'sotw') c.requestNames(typeUrl, now);
    else c.send({ typeUrl, resourceNamesSubscribe: added, resourceNamesUnsubscribe: removed });
    for (const n of removed) this.#mapOf(typeUrl)?.delete(n);
  }

  #mapOf(typeUrl: string): Map<string, Body> | undefined {
    if (typeUrl === T.CLUSTER) return this.clusters;
    if (typeUrl === T.ENDPOINT) return this.endpoints;
    if (typeUrl === T.LISTENER) return this.listeners;
    if (typeUrl === T.ROUTE) return this.routes;
    return undefined;
  }
}

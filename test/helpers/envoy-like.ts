/**
 * @module test/helpers/envoy-like
 * A scripted client that starts up the way Envoy does (rule E28,
 * envoy:docs/root/intro/arch_overview/operations/init.rst): CDS wildcard;
 * EDS for the EDS clusters it received; once those clusters have endpoints,
 * LDS wildcard; then RDS for the route names its listeners use. Every
 * response is ACKed after it is applied. Over ADS it uses one stream; over
 * the per-type services one stream per type.
 */
import { AdsClient } from './ads-client';
import type { NodeSpec, Received, Variant } from './ads-client';
import { T } from './service-paths';

/** How the scripted client connects. */
export interface EnvoyLikeOptions {
  readonly variant: Variant;
  readonly service?: 'ads' | 'per-type';
  readonly node?: NodeSpec;
  /** Ask for `["*"]` instead of the legacy empty list. */
  readonly explicitWildcard?: boolean;
}

type Body = Record<string, unknown>;
const FULL_STATE_SOTW = new Set<string>([T.CLUSTER, T.LISTENER]);
const SCRIPT_TYPES = [T.CLUSTER, T.ENDPOINT, T.LISTENER, T.ROUTE] as const;

function edsNameOf(c: Body): string | undefined {
  if (c['type'] !== 'EDS') return undefined;
  const eds = c['edsClusterConfig'] as Body | undefined;
  const serviceName = eds?.['serviceName'];
  return typeof serviceName === 'string' && serviceName !== '' ? serviceName : (c['name'] as string);
}

function routeNamesOf(l: Body): string[] {
  const out: string[] = [];
  for (const chain of (l['filterChains'] as Body[] | undefined) ?? []) {
    for (const f of (chain['filters'] as Body[] | undefined) ?? []) {
      const rds = (f['typedConfig'] as Body | undefined)?.['rds'] as Body | undefined;
      const name = rds?.['routeConfigName'];
      if (typeof name === 'string' && name !== '') out.push(name);
    }
  }
  return out;
}

/** An Envoy-like client; its applied config is in the four maps. */
export class EnvoyLike {
  readonly clusters = new Map<string, Body>();
  readonly endpoints = new Map<string, Body>();
  readonly listeners = new Map<string, Body>();
  readonly routes = new Map<string, Body>();
  readonly #streams: ReadonlyMap<string, AdsClient>;
  readonly #options: EnvoyLikeOptions;
  #edsNames: string[] = [];
  #rdsNames: string[] = [];
  #ldsStarted = false;
  #closed = false;
  #error: Error | undefined;

  private constructor(streams: ReadonlyMap<string, AdsClient>, options: EnvoyLikeOptions) {
    this.#streams = streams;
    this.#options = options;
  }

  /** Connect and send the initial CDS wildcard. */
  static async start(port: number, options: EnvoyLikeOptions): Promise<EnvoyLike> {
    const node = options.node ?? { id: 'test-id', cluster: 'test-cluster' };
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

  /** First error the script hit (a violation or a stream that ended), if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Names held per type, for assertions and failure messages. */
  summary(): { clusters: string[]; endpoints: string[]; listeners: string[]; routes: string[] } {
    const keys = (m: Map<string, Body>): string[] => [...m.keys()].sort();
    return { clusters: keys(this.clusters), endpoints: keys(this.endpoints), listeners: keys(this.listeners), routes: keys(this.routes) };
  }

  /** Wait until the applied config holds exactly these names (types left out are not checked). */
  async waitConverged(expected: Partial<ReturnType<EnvoyLike['summary']>>, timeoutMs = 5_000): Promise<void> {
    const matches = (): boolean => {
      const now = this.summary();
      return (Object.keys(expected) as (keyof typeof now)[]).every((k) => JSON.stringify(now[k]) === JSON.stringify([...(expected[k] ?? [])].sort()));
    };
    await this.waitUntil(matches, timeoutMs, `config ${JSON.stringify(expected)}`);
  }

  /** Wait until `pred` holds on the applied config; fails early if the script hit an error. */
  async waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (this.#error) throw new Error(`envoy-like client failed while waiting for ${what}: ${this.#error.message}`);
      if (Date.now() > deadline) {
        throw new Error(`envoy-like client did not reach ${what} in ${timeoutMs} ms; it holds ${JSON.stringify(this.summary())}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.#closed = true;
    for (const c of this.streams) c.close();
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
        r = await c.next(undefined, { timeoutMs: 120_000 });
      } catch (err) {
        if (!this.#closed) this.#error ??= err as Error;
        return;
      }
      this.#apply(c, r);
    }
  }

  #apply(c: AdsClient, r: Received): void {
    const map = this.#mapOf(r.typeUrl);
    if (!map) return; // a type this script never asked for: ignored, not ACKed (rule E29)
    if (this.variant === 'sotw' && FULL_STATE_SOTW.has(r.typeUrl)) map.clear();
    for (const res of r.resources) if (res.body) map.set(res.name, res.body);
    for (const name of r.removed) map.delete(name);
    c.ack(r);
    if (r.typeUrl === T.CLUSTER) {
      const names = [...new Set([...this.clusters.values()].map(edsNameOf).filter((n): n is string => n !== undefined))];
      this.#edsNames = this.#resubscribe(T.ENDPOINT, this.#edsNames, names);
    }
    if (r.typeUrl === T.LISTENER) {
      const names = [...new Set([...this.listeners.values()].flatMap(routeNamesOf))];
      this.#rdsNames = this.#resubscribe(T.ROUTE, this.#rdsNames, names);
    }
    if (!this.#ldsStarted && (r.typeUrl === T.CLUSTER || r.typeUrl === T.ENDPOINT) && this.#edsNames.every((n) => this.endpoints.has(n))) {
      this.#ldsStarted = true;
      this.#wildcard(T.LISTENER);
    }
  }

  /** Change a by-name subscription from `old` to `now`; returns `now`. */
  #resubscribe(typeUrl: string, old: readonly string[], now: string[]): string[] {
    const added = now.filter((n) => !old.includes(n));
    const removed = old.filter((n) => !now.includes(n));
    const c = this.#stream(typeUrl);
    if (added.length === 0 && removed.length === 0) return now;
    if (this.variant === 'sotw') c.requestNames(typeUrl, now);
    else c.send({ typeUrl, resourceNamesSubscribe: added, resourceNamesUnsubscribe: removed });
    for (const n of removed) this.#mapOf(typeUrl)?.delete(n);
    return now;
  }

  #mapOf(typeUrl: string): Map<string, Body> | undefined {
    if (typeUrl === T.CLUSTER) return this.clusters;
    if (typeUrl === T.ENDPOINT) return this.endpoints;
    if (typeUrl === T.LISTENER) return this.listeners;
    if (typeUrl === T.ROUTE) return this.routes;
    return undefined;
  }
}

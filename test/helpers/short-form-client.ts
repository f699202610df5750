/**
 * @module test/helpers/short-form-client
 * An Envoy-like ADS client for end-to-end tests, over SotW or delta: CDS and
 * LDS wildcard, then EDS for every cluster and RDS for every route config
 * the listeners name, ACKing every response it accepts and NACKing (with
 * the previous version) any it cannot decode. It keeps what it holds as
 * decoded resources and summarises them as a {@link ClientView}, the shape
 * tests compare.
 *
 * It uses only grpc-js with identity serializers and protobufjs types from
 * the shared proto root, so nothing of the server's wire code is reused.
 */
import * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { discoveryTypes } from './xds-codec';

/** Which protocol variant a client speaks. */
export type Variant = 'sotw' | 'delta';

export const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';
/** google.rpc.Code INTERNAL, what Envoy puts in a NACK's error_detail. */
const NACK_CODE = 13;

type Obj = Record<string, any>;

/** What a client holds, summarised so a test can deepEqual it. */
export interface ClientView {
  /** Listener name → `address:port -> route config name`. */
  readonly listeners: Record<string, string>;
  /** Route config name → its routes in order, `name prefix -> cluster` or `-> a:50,b:50`. */
  readonly routes: Record<string, string[]>;
  /** Cluster name → discovery type. */
  readonly clusters: Record<string, string>;
  /** ClusterLoadAssignment name → `address:port` of each endpoint. */
  readonly endpoints: Record<string, string[]>;
}

/** One response as the client saw it, in arrival order. */
export interface LoggedResponse {
  readonly seq: number;
  readonly typeUrl: string;
  readonly names: readonly string[];
  readonly removed: readonly string[];
  /** Decoded bodies by name, for order checks. */
  readonly bodies: ReadonlyMap<string, Obj>;
}

// Discovery message types come from the protocol suite's codec (one lookup for both helpers).

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: false };

/**
 * A decoded google.protobuf.Any. protobufjs defines Any from its bundled
 * descriptor, which keeps the snake_case `type_url` even in a Root loaded
 * with keepCase false.
 */
interface AnyMessage {
  readonly type_url?: string;
  readonly value?: Uint8Array;
}

/** Decode an Any of the expected type; throws with a NACK-worthy message. */
function decodeAny(any: AnyMessage, expected: string): Obj {
  if (any.type_url !== expected) throw new Error(`resource type_url ${String(any.type_url)} does not match ${expected}`);
  const type = discoveryTypes().root.lookupType(expected.slice(expected.lastIndexOf('/') + 1));
  return type.toObject(type.decode(any.value ?? new Uint8Array()), TO_OBJECT) as Obj;
}

function nameOf(typeUrl: string, body: Obj): string {
  return String(typeUrl === EDS ? (body['clusterName'] ?? '') : (body['name'] ?? ''));
}

/** The route config names a listener's HTTP connection managers ask for over RDS. */
function routeConfigNamesOf(listener: Obj): string[] {
  const names: string[] = [];
  for (const chain of (listener['filterChains'] ?? []) as Obj[]) {
    for (const filter of (chain['filters'] ?? []) as Obj[]) {
      const typed = filter['typedConfig'] as AnyMessage | undefined;
      if (typed?.type_url !== HCM) continue;
      const hcm = decodeAny(typed, HCM);
      const name = hcm['rds']?.['routeConfigName'];
      if (typeof name === 'string') names.push(name);
    }
  }
  return names;
}

function socket(address: Obj | undefined): string {
  const s = address?.['socketAddress'] ?? {};
  return `${String(s['address'])}:${String(s['portValue'])}`;
}

function describeRoute(route: Obj): string {
  const action = route['route'] ?? {};
  const target =
    action['cluster'] !== undefined
      ? String(action['cluster'])
      : ((action['weightedClusters']?.['clusters'] ?? []) as Obj[]).map((c) => `${String(c['name'])}:${String(c['weight']?.['value'] ?? c['weight'])}`).join(',');
  return `${String(route['name'])} ${String(route['match']?.['prefix'])} -> ${target}`;
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An Envoy-like ADS client on one stream. */
export class EnvoyLikeClient {
  readonly variant: Variant;
  /** Every response accepted or rejected, in arrival order. */
  readonly log: LoggedResponse[] = [];
  /** Reasons of every NACK this client sent. */
  readonly nacks: string[] = [];
  /** Set when the stream ends with an error. */
  streamError: Error | undefined;

  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly #nodeId: string;
  #nodeSent = false;
  readonly #held = new Map<string, Map<string, Obj>>([
    [CDS, new Map()],
    [EDS, new Map()],
    [LDS, new Map()],
    [RDS, new Map()],
  ]);
  /** Named subscriptions for EDS and RDS; CDS and LDS are wildcard. */
  readonly #names = new Map<string, Set<string>>([
    [EDS, new Set()],
    [RDS, new Set()],
  ]);
  /** SotW: last accepted version and last nonce per type. */
  readonly #version = new Map<string, string>();
  readonly #nonce = new Map<string, string>();
  readonly #waiters = new Set<() => void>();

  private constructor(port: number, variant: Variant, nodeId: string) {
    this.variant = variant;
    this.#nodeId = nodeId;
    this.#client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const method = variant === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources';
    this.#call = this.#client.makeBidiStreamRequest(
      ADS + method,
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    this.#call.on('data', (bytes: Buffer) => this.#onResponse(bytes));
    this.#call.on('error', (err: Error) => {
      if ((err as grpc.ServiceError).code !== grpc.status.CANCELLED) this.streamError = err;
      this.#notify();
    });
  }

  /** Open a stream and subscribe to CDS and LDS as Envoy does at startup. */
  static connect(port: number, variant: Variant, nodeId: string): EnvoyLikeClient {
    const c = new EnvoyLikeClient(port, variant, nodeId);
    // Envoy's legacy wildcard: an empty name list (SotW) or empty subscribe list (delta).
    c.#send(CDS, []);
    c.#send(LDS, []);
    return c;
  }

  /** What this client holds now. */
  view(): ClientView {
    const listeners: Record<string, string> = {};
    for (const [name, l] of this.#held.get(LDS) ?? []) listeners[name] = `${socket(l['address'])} -> ${routeConfigNamesOf(l).join(',')}`;
    const routes: Record<string, string[]> = {};
    for (const [name, rc] of this.#held.get(RDS) ?? []) {
      routes[name] = ((rc['virtualHosts'] ?? []) as Obj[]).flatMap((vh) => ((vh['routes'] ?? []) as Obj[]).map(describeRoute));
    }
    const clusters: Record<string, string> = {};
    for (const [name, c] of this.#held.get(CDS) ?? []) clusters[name] = String(c['type'] ?? 'STATIC');
    const endpoints: Record<string, string[]> = {};
    for (const [name, cla] of this.#held.get(EDS) ?? []) {
      endpoints[name] = ((cla['endpoints'] ?? []) as Obj[]).flatMap((loc) => ((loc['lbEndpoints'] ?? []) as Obj[]).map((e) => socket(e['endpoint']?.['address'])));
    }
    return sortKeys({ listeners, routes, clusters, endpoints });
  }

  /** The responses received so far, one line each, for failure messages. */
  describeLog(): string {
    const short = (t: string): string => t.slice(t.lastIndexOf('.') + 1);
    return this.log.map((r) => `#${r.seq} ${short(r.typeUrl)} [${r.names.join(',')}]${r.removed.length > 0 ? ` removed [${r.removed.join(',')}]` : ''}`).join('; ');
  }

  /** Wait until `check` returns true (re-checked on every response), or fail after `timeoutMs` with `describe()`. */
  async waitUntil(check: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.streamError) throw new Error(`${this.variant} stream failed: ${this.streamError.message}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.variant} client timed out after ${timeoutMs} ms: ${describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(done);
      });
    }
  }

  /** End the stream and close the channel. */
  close(): void {
    this.#call.cancel();
    this.#client.close();
  }

  #notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  #node(): Obj | undefined {
    if (this.#nodeSent) return undefined;
    this.#nodeSent = true;
    return { id: this.#nodeId, cluster: 'short-form-e2e' };
  }

  #send(typeUrl: string, subscribe: readonly string[], unsubscribe: readonly string[] = []): void {
    const t = discoveryTypes();
    const node = this.#node();
    if (this.variant === 'sotw') {
      const names = typeUrl === CDS || typeUrl === LDS ? [] : [...(this.#names.get(typeUrl) ?? [])].sort();
      const obj: Obj = { typeUrl, resourceNames: names, versionInfo: this.#version.get(typeUrl) ?? '', responseNonce: this.#nonce.get(typeUrl) ?? '' };
      if (node) obj['node'] = node;
      this.#call.write(Buffer.from(t.request.encode(t.request.fromObject(obj)).finish()));
    } else {
      const obj: Obj = { typeUrl, resourceNamesSubscribe: [...subscribe], resourceNamesUnsubscribe: [...unsubscribe] };
      if (node) obj['node'] = node;
      this.#call.write(Buffer.from(t.deltaRequest.encode(t.deltaRequest.fromObject(obj)).finish()));
    }
  }

  #ackOrNack(typeUrl: string, nonce: string, version: string, error: string | undefined): void {
    const t = discoveryTypes();
    if (error !== undefined) this.nacks.push(`${typeUrl}: ${error}`);
    const errorDetail = error !== undefined ? { code: NACK_CODE, message: error } : undefined;
    if (this.variant === 'sotw') {
      this.#nonce.set(typeUrl, nonce);
      // A NACK carries the previous accepted version; an ACK the new one.
      if (error === undefined) this.#version.set(typeUrl, version);
      const names = typeUrl === CDS || typeUrl === LDS ? [] : [...(this.#names.get(typeUrl) ?? [])].sort();
      const obj: Obj = { typeUrl, versionInfo: this.#version.get(typeUrl) ?? '', responseNonce: nonce, resourceNames: names };
      if (errorDetail) obj['errorDetail'] = errorDetail;
      this.#call.write(Buffer.from(t.request.encode(t.request.fromObject(obj)).finish()));
    } else {
      const obj: Obj = { typeUrl, responseNonce: nonce };
      if (errorDetail) obj['errorDetail'] = errorDetail;
      this.#call.write(Buffer.from(t.deltaRequest.encode(t.deltaRequest.fromObject(obj)).finish()));
    }
  }

  #onResponse(bytes: Buffer): void {
    const t = discoveryTypes();
    let typeUrl: string;
    let nonce: string;
    let version: string;
    let entries: { name: string; any?: AnyMessage }[];
    let removed: string[] = [];
    if (this.variant === 'sotw') {
      const m = t.response.decode(bytes) as unknown as Obj;
      typeUrl = m['typeUrl'] ?? '';
      nonce = m['nonce'] ?? '';
      version = m['versionInfo'] ?? '';
      entries = ((m['resources'] ?? []) as Obj[]).map((any) => ({ name: '', any }));
    } else {
      const m = t.deltaResponse.decode(bytes) as unknown as Obj;
      typeUrl = m['typeUrl'] ?? '';
      nonce = m['nonce'] ?? '';
      version = m['systemVersionInfo'] ?? '';
      entries = ((m['resources'] ?? []) as Obj[]).map((r) => ({ name: String(r['name'] ?? ''), any: r['resource'] }));
      removed = (m['removedResources'] ?? []) as string[];
    }
    const bodies = new Map<string, Obj>();
    let error: string | undefined;
    try {
      if (!this.#held.has(typeUrl)) throw new Error(`unrequested type ${typeUrl}`);
      for (const e of entries) {
        if (!e.any) throw new Error(`resource "${e.name}" has no body`);
        const body = decodeAny(e.any, typeUrl);
        const name = nameOf(typeUrl, body);
        if (this.variant === 'delta' && name !== e.name) throw new Error(`Resource.name "${e.name}" differs from the body's name "${name}"`);
        if (bodies.has(name)) throw new Error(`resource "${name}" appears twice in one response`);
        if (removed.includes(name)) throw new Error(`resource "${name}" is both sent and removed`);
        bodies.set(name, body);
      }
      if (typeUrl === LDS) for (const l of bodies.values()) routeConfigNamesOf(l);
    } catch (err) {
      error = (err as Error).message;
    }
    this.log.push({ seq: this.log.length, typeUrl, names: [...bodies.keys()], removed, bodies });
    if (error === undefined) this.#apply(typeUrl, bodies, removed);
    this.#ackOrNack(typeUrl, nonce, version, error);
    if (error === undefined) {
      if (typeUrl === CDS) this.#follow(EDS, [...(this.#held.get(CDS)?.keys() ?? [])]);
      if (typeUrl === LDS) this.#follow(RDS, [...(this.#held.get(LDS)?.values() ?? [])].flatMap(routeConfigNamesOf));
    }
    this.#notify();
  }

  #apply(typeUrl: string, bodies: Map<string, Obj>, removed: readonly string[]): void {
    const held = this.#held.get(typeUrl);
    if (!held) return;
    // SotW CDS and LDS carry the full state: an absent name is deleted.
    if (this.variant === 'sotw' && (typeUrl === CDS || typeUrl === LDS)) held.clear();
    for (const [name, body] of bodies) {
      const wanted = this.#names.get(typeUrl);
      if (wanted && !wanted.has(name)) continue; // Envoy ignores resources it did not ask for
      held.set(name, body);
    }
    for (const name of removed) held.delete(name);
  }

  /** Change the named subscription of EDS or RDS to `names`, as Envoy does when clusters or listeners change. */
  #follow(typeUrl: string, names: readonly string[]): void {
    const current = this.#names.get(typeUrl);
    if (!current) return;
    const next = new Set(names);
    const added = [...next].filter((n) => !current.has(n));
    const gone = [...current].filter((n) => !next.has(n));
    if (added.length === 0 && gone.length === 0) return;
    this.#names.set(typeUrl, next);
    for (const n of gone) this.#held.get(typeUrl)?.delete(n);
    this.#send(typeUrl, added, gone);
  }
}

function sortKeys(view: ClientView): ClientView {
  const sorted = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  return { listeners: sorted(view.listeners), routes: sorted(view.routes), clusters: sorted(view.clusters), endpoints: sorted(view.endpoints) };
}

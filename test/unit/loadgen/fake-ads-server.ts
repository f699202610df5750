/**
 * @module test/unit/loadgen/fake-ads-server
 * A tiny, deliberately simple ADS server (SotW and delta, plus the per-type
 * services on the same handlers) for testing the loadgen without our real
 * server: it records every request it gets, decoded with protobufjs
 * reflection (nothing shared with the loadgen's hand-written wire code), and
 * answers the way the xDS protocol says, with no optimisation at all.
 */
import * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { CLUSTER, ENDPOINT, LISTENER, ROUTE } from '../../../src/xds/type-urls';

const T = 'type.googleapis.com/';
const HCM = T + 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const WILDCARD_TYPES = new Set<string>([CLUSTER, LISTENER]);

/** One recorded request (fields as protobufjs decodes them, camelCase). */
export interface Recorded {
  readonly stream: number;
  readonly variant: 'sotw' | 'delta';
  readonly path: string;
  readonly req: {
    typeUrl: string;
    versionInfo?: string;
    resourceNames?: string[];
    responseNonce?: string;
    errorDetail?: { code: number; message: string };
    node?: { id: string };
    resourceNamesSubscribe?: string[];
    resourceNamesUnsubscribe?: string[];
    initialResourceVersions?: Record<string, string>;
  };
}

let root: protobuf.Root | undefined;
function type(name: string): protobuf.Type {
  root ??= loadProtoRoot();
  return root.lookupType(name);
}

function encode(name: string, obj: Record<string, unknown>): Buffer {
  const t = type(name);
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

/** A Cluster of type EDS. */
export function clusterBytes(name: string, serviceName?: string): Buffer {
  return encode('envoy.config.cluster.v3.Cluster', { name, type: 3, edsClusterConfig: { edsConfig: { ads: {} }, ...(serviceName ? { serviceName } : {}) } });
}

/** A ClusterLoadAssignment with one endpoint, optionally with a hostname (a latency stamp). */
export function loadAssignmentBytes(name: string, hostname?: string): Buffer {
  return encode('envoy.config.endpoint.v3.ClusterLoadAssignment', {
    clusterName: name,
    endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 80 } }, ...(hostname ? { hostname } : {}) } }] }],
  });
}

/** A Listener whose HCM asks RDS for `route`. */
export function listenerBytes(name: string, route: string): Buffer {
  const hcm = encode(HCM.slice(T.length), { statPrefix: name, rds: { routeConfigName: route, configSource: { ads: {} } } });
  return encode('envoy.config.listener.v3.Listener', { name, filterChains: [{ filters: [{ name: 'hcm', typedConfig: { type_url: HCM, value: hcm } }] }] });
}

/** A RouteConfiguration. */
export function routeBytes(name: string, domain = '*'): Buffer {
  return encode('envoy.config.route.v3.RouteConfiguration', { name, virtualHosts: [{ name: 'vh', domains: [domain] }] });
}

interface SotwSub {
  names: Set<string>;
  wildcard: boolean;
  sent: string | undefined;
}
interface DeltaSub {
  names: Set<string>;
  wildcard: boolean;
  sent: Map<string, string>;
}
interface Stream {
  readonly id: number;
  readonly call: grpc.ServerDuplexStream<Buffer, Buffer>;
  readonly sotw: Map<string, SotwSub>;
  readonly delta: Map<string, DeltaSub>;
  readonly variant: 'sotw' | 'delta';
  /** Ended by {@link FakeAdsServer.dropStreams}: requests still arriving are recorded, not answered. */
  dropped: boolean;
}

const identity = (b: Buffer): Buffer => b;
function method(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return { path, requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
}

/** The fake server. */
export class FakeAdsServer {
  readonly requests: Recorded[] = [];
  /** typeUrl → name → resource message bytes (not wrapped). */
  readonly resources = new Map<string, Map<string, Buffer>>();
  #server = new grpc.Server();
  #streams = new Set<Stream>();
  #nextStream = 1;
  #nonce = 0;
  revision = 1;
  port = 0;

  /** Set a resource (call {@link push} to send changes). */
  set(typeUrl: string, name: string, bytes: Buffer): void {
    let m = this.resources.get(typeUrl);
    if (!m) this.resources.set(typeUrl, (m = new Map()));
    m.set(name, bytes);
  }

  async start(): Promise<void> {
    const services: Record<string, [string, 'sotw' | 'delta'][]> = {
      ads: [
        ['/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources', 'sotw'],
        ['/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources', 'delta'],
      ],
    };
    for (const [svc, suffix] of [
      ['cluster', 'Clusters'],
      ['endpoint', 'Endpoints'],
      ['listener', 'Listeners'],
      ['route', 'Routes'],
    ] as const) {
      const cap = svc[0]!.toUpperCase() + svc.slice(1);
      services[svc] = [
        [`/envoy.service.${svc}.v3.${cap}DiscoveryService/Stream${suffix}`, 'sotw'],
        [`/envoy.service.${svc}.v3.${cap}DiscoveryService/Delta${suffix}`, 'delta'],
      ];
    }
    for (const entries of Object.values(services)) {
      const def: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
      const impl: grpc.UntypedServiceImplementation = {};
      for (const [path, variant] of entries) {
        const key = path.slice(path.lastIndexOf('/') + 1);
        def[key] = method(path);
        impl[key] = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.#onStream(call, path, variant);
      }
      this.#server.addService(def as grpc.ServiceDefinition, impl);
    }
    this.port = await new Promise<number>((resolve, reject) => this.#server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  }

  #onStream(call: grpc.ServerDuplexStream<Buffer, Buffer>, path: string, variant: 'sotw' | 'delta'): void {
    const s: Stream = { id: this.#nextStream++, call, sotw: new Map(), delta: new Map(), variant, dropped: false };
    this.#streams.add(s);
    call.on('data', (buf: Buffer) => {
      const name = variant === 'sotw' ? 'envoy.service.discovery.v3.DiscoveryRequest' : 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
      const t = type(name);
      const req = t.toObject(t.decode(buf), { defaults: false, longs: Number }) as Recorded['req'];
      this.requests.push({ stream: s.id, variant, path, req });
      if (s.dropped) return;
      if (variant === 'sotw') this.#sotwRequest(s, req);
      else this.#deltaRequest(s, req);
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
    call.on('close', () => this.#streams.delete(s));
    call.on('cancelled', () => this.#streams.delete(s));
  }

  #version(): string {
    return `v${this.revision}`;
  }

  #sotwRequest(s: Stream, req: Recorded['req']): void {
    const names = req.resourceNames ?? [];
    let sub = s.sotw.get(req.typeUrl);
    const first = !sub;
    if (!sub) s.sotw.set(req.typeUrl, (sub = { names: new Set(), wildcard: false, sent: undefined }));
    if (req.errorDetail) return;
    const changed = first || names.length !== sub.names.size || names.some((n) => !sub.names.has(n));
    sub.names = new Set(names);
    sub.wildcard = WILDCARD_TYPES.has(req.typeUrl) && names.length === 0;
    if (changed || req.versionInfo !== this.#version()) this.#sotwSend(s, req.typeUrl, sub);
  }

  #sotwSend(s: Stream, typeUrl: string, sub: SotwSub): void {
    const all = this.resources.get(typeUrl) ?? new Map<string, Buffer>();
    const out = [...all].filter(([n]) => sub.wildcard || sub.names.has(n)).map(([, b]) => ({ type_url: typeUrl, value: b }));
    sub.sent = this.#version();
    s.call.write(encode('envoy.service.discovery.v3.DiscoveryResponse', { versionInfo: this.#version(), resources: out, typeUrl, nonce: `n${++this.#nonce}` }));
  }

  #deltaRequest(s: Stream, req: Recorded['req']): void {
    let sub = s.delta.get(req.typeUrl);
    const first = !sub;
    if (!sub) s.delta.set(req.typeUrl, (sub = { names: new Set(), wildcard: false, sent: new Map() }));
    if (first) {
      for (const [n, v] of Object.entries(req.initialResourceVersions ?? {})) sub.sent.set(n, v);
      if (WILDCARD_TYPES.has(req.typeUrl) && !(req.resourceNamesSubscribe ?? []).length) sub.wildcard = true;
    }
    for (const n of req.resourceNamesSubscribe ?? []) {
      if (n === '*') sub.wildcard = true;
      else {
        sub.names.add(n);
        if (!first) sub.sent.delete(n); // re-subscribe resends
      }
    }
    for (const n of req.resourceNamesUnsubscribe ?? []) {
      sub.names.delete(n);
      sub.sent.delete(n);
    }
    if (req.responseNonce && !(req.resourceNamesSubscribe ?? []).length) return;
    this.#deltaSend(s, req.typeUrl, sub, first);
  }

  #deltaSend(s: Stream, typeUrl: string, sub: DeltaSub, force: boolean): void {
    const all = this.resources.get(typeUrl) ?? new Map<string, Buffer>();
    const resources = [];
    const removed: string[] = [];
    for (const [name, bytes] of all) {
      if (!sub.wildcard && !sub.names.has(name)) continue;
      const version = `${name}@${bytes.toString('base64').length}-${bytes.readUInt32LE(Math.max(0, bytes.length - 4))}`;
      if (sub.sent.get(name) === version) continue;
      sub.sent.set(name, version);
      resources.push({ name, version, resource: { type_url: typeUrl, value: bytes } });
    }
    for (const name of [...sub.sent.keys()]) {
      if (!all.has(name)) {
        sub.sent.delete(name);
        removed.push(name);
      }
    }
    for (const name of sub.names) if (!all.has(name) && !removed.includes(name) && !sub.sent.has(name)) removed.push(name);
    if (!resources.length && !removed.length && !force) return;
    s.call.write(encode('envoy.service.discovery.v3.DeltaDiscoveryResponse', { typeUrl, resources, removedResources: removed, nonce: `n${++this.#nonce}` }));
  }

  /** Send every stream what changed since it was last served. */
  push(): void {
    this.revision++;
    for (const s of this.#streams) {
      for (const [typeUrl, sub] of s.sotw) this.#sotwSend(s, typeUrl, sub);
      for (const [typeUrl, sub] of s.delta) this.#deltaSend(s, typeUrl, sub, false);
    }
  }

  /**
   * End every open stream with UNAVAILABLE (the client must reconnect). An
   * `'error'` on a grpc-js server stream ends it with that status once the
   * writes before it are out; until then it must not be written to. Either
   * way of breaking that, destroying the stream as this once did, or
   * answering an ACK that arrives meanwhile (a write after end destroys it),
   * threw the status away when a write was still in flight: the client got
   * neither status nor reset and kept a dead stream, never reconnecting.
   */
  dropStreams(): void {
    for (const s of this.#streams) {
      s.dropped = true;
      s.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'test: dropped' });
    }
    this.#streams.clear();
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.tryShutdown(() => resolve()));
  }
}

/** A fake server loaded with a small mesh: 2 clusters (one with service_name), 2 CLAs, 1 listener, 1 route. */
export async function startFakeMesh(): Promise<FakeAdsServer> {
  const s = new FakeAdsServer();
  s.set(CLUSTER, 'c0', clusterBytes('c0'));
  s.set(CLUSTER, 'c1', clusterBytes('c1', 'svc1'));
  s.set(ENDPOINT, 'c0', loadAssignmentBytes('c0'));
  s.set(ENDPOINT, 'svc1', loadAssignmentBytes('svc1'));
  s.set(LISTENER, 'l0', listenerBytes('l0', 'r0'));
  s.set(ROUTE, 'r0', routeBytes('r0'));
  await s.start();
  return s;
}

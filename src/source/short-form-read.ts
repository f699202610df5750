/**
 * @module source/short-form-read
 * Reads and checks one short-form document (`name:` + `spec: {listeners,
 * clusters}`) into a small typed model, collecting every problem with the
 * dotted path inside the file (`spec.listeners[0].routes[0].clusters[0]`).
 * Building Envoy resources from the model is short-form-build.ts's job; the
 * form itself and the generated names are documented in short-form.ts.
 */
import { isIP } from 'node:net';
import type { ConfigProblem } from './raw-resource';
import { bareExcerpt, describeValue, excerpt, keyExcerpt, nameExcerpt, pathKey } from '../observe/excerpt';

/** Lowest and highest TCP port a listener or endpoint may name. */
export const MIN_PORT = 1;
export const MAX_PORT = 65_535;

/** One upstream host of a cluster. */
export interface ShortEndpoint {
  readonly address: string;
  readonly port: number;
}

/** A cluster: becomes an EDS Cluster plus its ClusterLoadAssignment. */
export interface ShortCluster {
  readonly name: string;
  readonly endpoints: readonly ShortEndpoint[];
  /** Where it is written, e.g. `spec.clusters[0]`. */
  readonly path: string;
}

/** A route of a listener: a prefix sent to one cluster or split over several. */
export interface ShortRoute {
  readonly name: string;
  readonly prefix: string;
  readonly clusters: readonly string[];
  readonly path: string;
}

/** A listener: becomes a Listener plus the RouteConfiguration holding its routes. */
export interface ShortListener {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly routes: readonly ShortRoute[];
  readonly path: string;
}

/** A checked short-form document. */
export interface ShortFormSpec {
  /** The informational top-level `name`, if given. */
  readonly name?: string;
  readonly listeners: readonly ShortListener[];
  readonly clusters: readonly ShortCluster[];
}

/** Outcome of reading a document: the model, or every problem found. */
export type ShortFormReadResult = { readonly ok: true; readonly value: ShortFormSpec } | { readonly ok: false; readonly errors: readonly ConfigProblem[] };

type Obj = Record<string, unknown>;

const TOP_KEYS = ['name', 'spec'] as const;
const SPEC_KEYS = ['listeners', 'clusters'] as const;
const LISTENER_KEYS = ['name', 'address', 'port', 'routes'] as const;
const ROUTE_KEYS = ['name', 'prefix', 'clusters'] as const;
const CLUSTER_KEYS = ['name', 'endpoints'] as const;
const ENDPOINT_KEYS = ['address', 'port'] as const;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value for a "got X" message: kind, or a short escaped excerpt (observe/excerpt). */
function describe(v: unknown): string {
  if (typeof v === 'string') return excerpt(v);
  if (typeof v === 'number' || typeof v === 'boolean') return bareExcerpt(String(v));
  return describeValue(v);
}

/** Collects problems for one file; every check reports through it. */
class Reader {
  readonly problems: ConfigProblem[] = [];
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  /** Record a problem; the whole path goes in `field` so the message reads `file: path: message`. */
  fail(path: string, message: string): undefined {
    this.problems.push({ file: this.#file, field: path, message });
    return undefined;
  }

  /** Report keys outside `known`: a typo such as `prefx` must not silently drop a route's match. */
  checkKeys(obj: Obj, known: readonly string[], path: string, what: string): void {
    for (const key of Object.keys(obj)) {
      const shown = pathKey(key);
      if (!known.includes(key)) this.fail(path === '' ? shown : `${path}.${shown}`, `unknown key ${keyExcerpt(key)} in ${what}; expected ${known.join(', ')}`);
    }
  }

  /** A mapping at `path`, or a problem. */
  object(v: unknown, path: string, what: string): Obj | undefined {
    return isObj(v) ? v : this.fail(path, `expected ${what} (a mapping), got ${describe(v)}`);
  }

  /** A list at `path`; absent means empty (a listener may have no routes, a cluster no endpoints). */
  optionalList(v: unknown, path: string): unknown[] | undefined {
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : this.fail(path, `expected a list, got ${describe(v)}`);
  }

  /** A required non-empty string; `missing` is the message when it is absent. */
  name(v: unknown, path: string, missing: string): string | undefined {
    if (v === undefined || v === null) return this.fail(path, missing);
    if (typeof v !== 'string' || v.trim() === '') return this.fail(path, `expected a non-empty string, got ${describe(v)}`);
    return v;
  }

  /** An IP address: Envoy binds listeners and reaches EDS endpoints by IP only, never by host name. */
  ip(v: unknown, path: string, what: string): string | undefined {
    const s = this.name(v, path, `every ${what} needs an "address"`);
    if (s === undefined) return undefined;
    if (isIP(s) === 0) return this.fail(path, `${excerpt(s)} is not an IP address; Envoy needs an IPv4 or IPv6 address here, e.g. 127.0.0.1`);
    return s;
  }

  /** A TCP port in [MIN_PORT, MAX_PORT]. */
  port(v: unknown, path: string, what: string): number | undefined {
    if (v === undefined || v === null) return this.fail(path, `every ${what} needs a "port"`);
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.fail(path, `expected an integer port, got ${describe(v)}`);
    if (v < MIN_PORT || v > MAX_PORT) return this.fail(path, `port ${v} is out of range; use ${MIN_PORT} to ${MAX_PORT}`);
    return v;
  }
}

/** Whether a document is in the short form: it has a top-level `spec`. */
export function isShortFormDocument(doc: Obj): boolean {
  return 'spec' in doc;
}

/** Read and check one short-form document. */
export function readShortForm(doc: Obj, file: string): ShortFormReadResult {
  const r = new Reader(file);
  if ('resources' in doc || 'node_groups' in doc || 'nodeGroups' in doc) {
    r.fail('spec', 'a document is either the short form ("spec:") or the full form ("resources:"), not both; put them in separate documents or files');
  }
  r.checkKeys(Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'resources' && k !== 'node_groups' && k !== 'nodeGroups')), TOP_KEYS, '', 'a short-form document');
  let name: string | undefined;
  if (doc['name'] !== undefined) name = r.name(doc['name'], 'name', 'expected a string');
  const spec = r.object(doc['spec'], 'spec', '"spec" with "listeners" and/or "clusters"');
  const clusters: ShortCluster[] = [];
  const listeners: ShortListener[] = [];
  if (spec) {
    r.checkKeys(spec, SPEC_KEYS, 'spec', 'spec');
    // Clusters first: routes are checked against the names defined here.
    const clusterList = r.optionalList(spec['clusters'], 'spec.clusters') ?? [];
    clusterList.forEach((c, i) => {
      const cluster = readCluster(r, c, `spec.clusters[${i}]`);
      if (cluster) clusters.push(cluster);
    });
    const clusterPaths = new Map<string, string>();
    for (const c of clusters) {
      const first = clusterPaths.get(c.name);
      if (first !== undefined) r.fail(`${c.path}.name`, `duplicate cluster name ${nameExcerpt(c.name)}; ${first} already defines it`);
      else clusterPaths.set(c.name, c.path);
    }
    const listenerList = r.optionalList(spec['listeners'], 'spec.listeners') ?? [];
    listenerList.forEach((l, i) => {
      const listener = readListener(r, l, `spec.listeners[${i}]`, clusterPaths);
      if (listener) listeners.push(listener);
    });
    checkListenersUnique(r, listeners);
  }
  if (r.problems.length > 0) return { ok: false, errors: r.problems };
  return { ok: true, value: { ...(name !== undefined ? { name } : {}), listeners, clusters } };
}

function readCluster(r: Reader, raw: unknown, path: string): ShortCluster | undefined {
  const c = r.object(raw, path, 'a cluster');
  if (!c) return undefined;
  r.checkKeys(c, CLUSTER_KEYS, path, 'a cluster');
  const name = r.name(c['name'], `${path}.name`, 'every cluster needs a "name"');
  const endpoints: ShortEndpoint[] = [];
  const seen = new Map<string, string>();
  (r.optionalList(c['endpoints'], `${path}.endpoints`) ?? []).forEach((e, i) => {
    const ePath = `${path}.endpoints[${i}]`;
    const ep = r.object(e, ePath, 'an endpoint with "address" and "port"');
    if (!ep) return;
    r.checkKeys(ep, ENDPOINT_KEYS, ePath, 'an endpoint');
    const address = r.ip(ep['address'], `${ePath}.address`, 'endpoint');
    const port = r.port(ep['port'], `${ePath}.port`, 'endpoint');
    if (address === undefined || port === undefined) return;
    // Envoy rejects a ClusterLoadAssignment that lists one host twice.
    const key = `${address}:${port}`;
    const first = seen.get(key);
    if (first !== undefined) r.fail(ePath, `duplicate endpoint ${key}; ${first} already lists it`);
    else seen.set(key, ePath);
    endpoints.push({ address, port });
  });
  return name === undefined ? undefined : { name, endpoints, path };
}

function readListener(r: Reader, raw: unknown, path: string, clusters: ReadonlyMap<string, string>): ShortListener | undefined {
  const l = r.object(raw, path, 'a listener');
  if (!l) return undefined;
  r.checkKeys(l, LISTENER_KEYS, path, 'a listener');
  const name = r.name(l['name'], `${path}.name`, 'every listener needs a "name"');
  const address = r.ip(l['address'], `${path}.address`, 'listener');
  const port = r.port(l['port'], `${path}.port`, 'listener');
  const routes: ShortRoute[] = [];
  (r.optionalList(l['routes'], `${path}.routes`) ?? []).forEach((rt, i) => {
    const route = readRoute(r, rt, `${path}.routes[${i}]`, clusters);
    if (route) routes.push(route);
  });
  checkRoutesUnique(r, routes);
  if (name === undefined || address === undefined || port === undefined) return undefined;
  return { name, address, port, routes, path };
}

function readRoute(r: Reader, raw: unknown, path: string, clusters: ReadonlyMap<string, string>): ShortRoute | undefined {
  const rt = r.object(raw, path, 'a route');
  if (!rt) return undefined;
  r.checkKeys(rt, ROUTE_KEYS, path, 'a route');
  const name = r.name(rt['name'], `${path}.name`, 'every route needs a "name"');
  let prefix = r.name(rt['prefix'], `${path}.prefix`, 'every route needs a "prefix", e.g. "/"');
  // A request path always starts with "/", so any other prefix would never match.
  if (prefix !== undefined && !prefix.startsWith('/')) prefix = r.fail(`${path}.prefix`, `prefix ${excerpt(prefix)} must start with "/"`);
  const names: string[] = [];
  const rawClusters = rt['clusters'];
  if (rawClusters === undefined || rawClusters === null) {
    r.fail(`${path}.clusters`, 'every route needs "clusters": a list of one or more cluster names');
  } else if (!Array.isArray(rawClusters) || rawClusters.length === 0) {
    r.fail(`${path}.clusters`, `expected a list of one or more cluster names, got ${Array.isArray(rawClusters) ? 'an empty list' : describe(rawClusters)}`);
  } else {
    rawClusters.forEach((c: unknown, i) => {
      const cPath = `${path}.clusters[${i}]`;
      const cluster = r.name(c, cPath, 'expected a cluster name');
      if (cluster === undefined) return;
      if (!clusters.has(cluster)) {
        r.fail(cPath, `cluster ${nameExcerpt(cluster)} is not defined; define it under spec.clusters`);
      } else if (names.includes(cluster)) {
        r.fail(cPath, `cluster ${nameExcerpt(cluster)} is listed twice in this route`);
      }
      names.push(cluster);
    });
  }
  if (name === undefined || prefix === undefined) return undefined;
  return { name, prefix, clusters: names, path };
}

/** Route names become Envoy route names inside one RouteConfiguration, so they are unique per listener. */
function checkRoutesUnique(r: Reader, routes: readonly ShortRoute[]): void {
  const byName = new Map<string, string>();
  const byPrefix = new Map<string, string>();
  for (const rt of routes) {
    const firstName = byName.get(rt.name);
    if (firstName !== undefined) r.fail(`${rt.path}.name`, `duplicate route name ${nameExcerpt(rt.name)} in this listener; ${firstName} already uses it`);
    else byName.set(rt.name, rt.path);
    // Two routes with one prefix: the second could never match.
    const firstPrefix = byPrefix.get(rt.prefix);
    if (firstPrefix !== undefined) r.fail(`${rt.path}.prefix`, `duplicate prefix ${excerpt(rt.prefix)}; ${firstPrefix} already matches it, so this route would never be used`);
    else byPrefix.set(rt.prefix, rt.path);
  }
}

/** Listener names are resource names; two listeners on one address and port could never both bind. */
function checkListenersUnique(r: Reader, listeners: readonly ShortListener[]): void {
  const byName = new Map<string, string>();
  const bySocket = new Map<string, ShortListener>();
  for (const l of listeners) {
    const first = byName.get(l.name);
    if (first !== undefined) r.fail(`${l.path}.name`, `duplicate listener name ${nameExcerpt(l.name)}; ${first} already defines it`);
    else byName.set(l.name, l.path);
    const socket = `${l.address}:${l.port}`;
    const other = bySocket.get(socket);
    if (other !== undefined && other.name !== l.name) {
      r.fail(`${l.path}.port`, `${socket} is already used by listener ${nameExcerpt(other.name)} (${other.path}); Envoy cannot bind it twice`);
    } else if (other === undefined) bySocket.set(socket, l);
  }
}

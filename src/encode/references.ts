/**
 * @module encode/references
 * Finds the names one resource depends on, from the JSON the user wrote:
 * an EDS Cluster needs its ClusterLoadAssignment; a Listener whose HTTP
 * connection manager uses RDS needs that RouteConfiguration; a route (in a
 * RouteConfiguration or a VHDS VirtualHost) needs the clusters it sends to,
 * by `cluster` or `weighted_clusters` (a `cluster_header` names no cluster
 * until a request arrives, so it is no reference). These are the references
 * a config file may not leave dangling (unless allowed): Envoy would accept
 * such a route and answer its requests with 503.
 */
import { CLUSTER, ENDPOINT, LISTENER, ROUTE, VIRTUAL_HOST } from '../xds/type-urls';
import { nameExcerpt } from '../observe/excerpt';
import type { Reference } from './messages';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Read a field written in snake_case or camelCase. */
function get(obj: Obj, snake: string): unknown {
  if (snake in obj) return obj[snake];
  const camel = snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return obj[camel];
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/**
 * VHDS aliases of a VirtualHost named `route_config/name`: one
 * `route_config/domain` per domain, the names Envoy asks for on demand
 * (envoy docs: http_conn_man/vhds).
 */
export function aliasesOf(typeUrl: string, name: string, body: Obj): string[] {
  if (typeUrl !== VIRTUAL_HOST) return [];
  const slash = name.indexOf('/');
  if (slash <= 0) return [];
  const prefix = name.slice(0, slash);
  return list(get(body, 'domains'))
    .filter((d): d is string => typeof d === 'string')
    .map((d) => `${prefix}/${d}`);
}

/** References made by one resource body. */
export function referencesOf(typeUrl: string, body: Obj): Reference[] {
  if (typeUrl === CLUSTER) return clusterRefs(body);
  if (typeUrl === LISTENER) return listenerRefs(body);
  if (typeUrl === ROUTE) return routeConfigRefs(body);
  if (typeUrl === VIRTUAL_HOST) return virtualHostRefs(body, '', get(body, 'name'));
  return [];
}

function routeConfigRefs(body: Obj): Reference[] {
  const refs: Reference[] = [];
  list(get(body, 'virtual_hosts')).forEach((vh, i) => {
    if (isObj(vh)) refs.push(...virtualHostRefs(vh, `virtual_hosts[${i}].`, get(vh, 'name')));
  });
  return refs;
}

/** Clusters named by the routes of one virtual host; `prefix` is its JSON path inside the resource. */
function virtualHostRefs(vh: Obj, prefix: string, vhName: unknown): Reference[] {
  const refs: Reference[] = [];
  const host = typeof vhName === 'string' ? `virtual host ${nameExcerpt(vhName)}` : 'virtual host';
  list(get(vh, 'routes')).forEach((route, i) => {
    if (!isObj(route)) return;
    const action = get(route, 'route');
    if (!isObj(action)) return;
    const routeName = get(route, 'name');
    const context = typeof routeName === 'string' && routeName !== '' ? `route ${nameExcerpt(routeName)} in ${host}` : `route ${i} in ${host}`;
    const path = `${prefix}routes[${i}].route`;
    const cluster = get(action, 'cluster');
    if (typeof cluster === 'string' && cluster !== '') refs.push({ typeUrl: CLUSTER, name: cluster, field: `${path}.cluster`, context });
    const weighted = get(action, 'weighted_clusters');
    if (!isObj(weighted)) return;
    list(get(weighted, 'clusters')).forEach((wc, j) => {
      const name = isObj(wc) ? get(wc, 'name') : undefined;
      if (typeof name === 'string' && name !== '') refs.push({ typeUrl: CLUSTER, name, field: `${path}.weighted_clusters.clusters[${j}].name`, context });
    });
  });
  return refs;
}

function clusterRefs(body: Obj): Reference[] {
  const type = get(body, 'type');
  if (type !== 'EDS' && type !== 3) return [];
  const eds = get(body, 'eds_cluster_config');
  const serviceName = isObj(eds) ? get(eds, 'service_name') : undefined;
  const name = typeof serviceName === 'string' && serviceName !== '' ? serviceName : get(body, 'name');
  if (typeof name !== 'string' || name === '') return [];
  const field = typeof serviceName === 'string' && serviceName !== '' ? 'eds_cluster_config.service_name' : 'name';
  return [endpointsOverAds(eds) ? { typeUrl: ENDPOINT, name, field, overAds: true } : { typeUrl: ENDPOINT, name, field }];
}

/**
 * Whether an `eds_cluster_config` takes endpoints over ADS: `eds_config.ads`,
 * or `eds_config.self` (the source that delivered the cluster; gRPC's gRFC A27
 * accepts either). Any other source (`api_config_source`, `path`,
 * `path_config_source`) is a separate subscription.
 */
function endpointsOverAds(eds: unknown): boolean {
  const source = isObj(eds) ? get(eds, 'eds_config') : undefined;
  return isObj(source) && (isObj(get(source, 'ads')) || isObj(get(source, 'self')));
}

function listenerRefs(body: Obj): Reference[] {
  const refs: Reference[] = [];
  const visitChain = (chain: unknown, path: string): void => {
    if (!isObj(chain)) return;
    list(get(chain, 'filters')).forEach((filter, i) => {
      if (!isObj(filter)) return;
      const typed = get(filter, 'typed_config');
      hcmRefs(typed, `${path}.filters[${i}].typed_config`, refs);
    });
  };
  list(get(body, 'filter_chains')).forEach((chain, i) => visitChain(chain, `filter_chains[${i}]`));
  visitChain(get(body, 'default_filter_chain'), 'default_filter_chain');
  const api = get(body, 'api_listener');
  if (isObj(api)) hcmRefs(get(api, 'api_listener'), 'api_listener.api_listener', refs);
  return refs;
}

function hcmRefs(typed: unknown, path: string, refs: Reference[]): void {
  if (!isObj(typed)) return;
  const at = typed['@type'];
  if (typeof at !== 'string' || !at.endsWith('.HttpConnectionManager')) return;
  const rds = get(typed, 'rds');
  if (!isObj(rds)) return;
  const name = get(rds, 'route_config_name');
  if (typeof name === 'string' && name !== '') refs.push({ typeUrl: ROUTE, name, field: `${path}.rds.route_config_name` });
}

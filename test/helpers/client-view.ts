/**
 * @module test/helpers/client-view
 * What an Envoy-like client holds, summarised into strings a test can
 * deepEqual: each listener's address and route config, each route's target,
 * each cluster's discovery type, each load assignment's endpoints. Bodies are
 * in the decoded form of ./xds-codec (camelCase, enums as names, a nested
 * Any inlined with its `@type`).
 */

type Body = Record<string, any>;

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

/** The applied configuration per type, name → decoded body. */
export interface HeldConfig {
  readonly clusters: ReadonlyMap<string, Body>;
  readonly endpoints: ReadonlyMap<string, Body>;
  readonly listeners: ReadonlyMap<string, Body>;
  readonly routes: ReadonlyMap<string, Body>;
}

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** The route config names a listener's HTTP connection managers ask for over RDS. */
export function routeConfigNamesOf(listener: Body): string[] {
  const names: string[] = [];
  for (const chain of (listener['filterChains'] ?? []) as Body[]) {
    for (const filter of (chain['filters'] ?? []) as Body[]) {
      const hcm = filter['typedConfig'] as Body | undefined;
      if (hcm?.['@type'] !== HCM) continue;
      const name = hcm['rds']?.['routeConfigName'];
      if (typeof name === 'string' && name !== '') names.push(name);
    }
  }
  return names;
}

function socket(address: Body | undefined): string {
  const s = address?.['socketAddress'] ?? {};
  return `${String(s['address'])}:${String(s['portValue'])}`;
}

function describeRoute(route: Body): string {
  const action = route['route'] ?? {};
  const target =
    action['cluster'] !== undefined
      ? String(action['cluster'])
      : ((action['weightedClusters']?.['clusters'] ?? []) as Body[]).map((c) => `${String(c['name'])}:${String(c['weight']?.['value'] ?? c['weight'])}`).join(',');
  return `${String(route['name'])} ${String(route['match']?.['prefix'])} -> ${target}`;
}

function sorted<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** The view of what `held` holds, keys sorted. */
export function viewOf(held: HeldConfig): ClientView {
  const listeners: Record<string, string> = {};
  for (const [name, l] of held.listeners) listeners[name] = `${socket(l['address'])} -> ${routeConfigNamesOf(l).join(',')}`;
  const routes: Record<string, string[]> = {};
  for (const [name, rc] of held.routes) routes[name] = ((rc['virtualHosts'] ?? []) as Body[]).flatMap((vh) => ((vh['routes'] ?? []) as Body[]).map(describeRoute));
  const clusters: Record<string, string> = {};
  // STATIC is the enum's zero value, which the decoder leaves out.
  for (const [name, c] of held.clusters) clusters[name] = String(c['type'] ?? 'STATIC');
  const endpoints: Record<string, string[]> = {};
  for (const [name, cla] of held.endpoints) {
    endpoints[name] = ((cla['endpoints'] ?? []) as Body[]).flatMap((loc) => ((loc['lbEndpoints'] ?? []) as Body[]).map((e) => socket(e['endpoint']?.['address'])));
  }
  return { listeners: sorted(listeners), routes: sorted(routes), clusters: sorted(clusters), endpoints: sorted(endpoints) };
}

/**
 * @module source/short-form-build
 * Builds full Envoy v3 resources (proto3 JSON, snake_case) from a checked
 * short-form model. Every generated name is derived from names the user
 * wrote, never from positions, so stats and `/config_dump` stay stable when
 * the file is reordered. The naming scheme is documented in short-form.ts.
 */
import { CLUSTER, ENDPOINT, LISTENER, ROUTE, TYPE_URL_PREFIX } from '../xds/type-urls';
import { DEFAULT_GROUP } from './raw-resource';
import type { RawResource } from './raw-resource';
import type { ShortCluster, ShortFormSpec, ShortListener, ShortRoute } from './short-form-read';

/** Suffix of the RouteConfiguration generated for each listener. */
export const ROUTE_CONFIG_SUFFIX = '_routes';

/** How long Envoy waits for an upstream TCP connect, in seconds (Envoy's own default). */
export const CLUSTER_CONNECT_TIMEOUT_S = 5;

/**
 * Weights of an equal split add up to this, so they read as percentages and
 * also satisfy Envoys that still default the deprecated `total_weight` to 100.
 */
export const WEIGHT_TOTAL = 100;

const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
const HCM_TYPE = `${TYPE_URL_PREFIX}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
const ROUTER_FILTER = 'envoy.filters.http.router';
const ROUTER_TYPE = `${TYPE_URL_PREFIX}envoy.extensions.filters.http.router.v3.Router`;

/** Name of the RouteConfiguration a listener's HTTP connection manager asks for over RDS. */
export function routeConfigNameOf(listenerName: string): string {
  return listenerName + ROUTE_CONFIG_SUFFIX;
}

/** RDS and EDS both come over the ADS stream the node already has open. */
function adsConfigSource(): Record<string, unknown> {
  return { ads: {}, resource_api_version: 'V3' };
}

function socketAddress(address: string, port: number): Record<string, unknown> {
  return { socket_address: { address, port_value: port } };
}

/**
 * Integer weights for an equal split over `n` clusters: WEIGHT_TOTAL divided
 * as evenly as integers allow, the remainder going one each to the first
 * clusters (3 clusters → 34, 33, 33). Past WEIGHT_TOTAL clusters every weight
 * is 1, which modern Envoy (sum of weights) splits exactly.
 */
export function equalWeights(n: number): number[] {
  if (n > WEIGHT_TOTAL) return new Array<number>(n).fill(1);
  const base = Math.floor(WEIGHT_TOTAL / n);
  const remainder = WEIGHT_TOTAL - base * n;
  return Array.from({ length: n }, (_v, i) => base + (i < remainder ? 1 : 0));
}

function listenerBody(l: ShortListener): Record<string, unknown> {
  return {
    name: l.name,
    address: socketAddress(l.address, l.port),
    filter_chains: [
      {
        filters: [
          {
            name: HCM_FILTER,
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: l.name,
              codec_type: 'AUTO',
              rds: { config_source: adsConfigSource(), route_config_name: routeConfigNameOf(l.name) },
              http_filters: [{ name: ROUTER_FILTER, typed_config: { '@type': ROUTER_TYPE } }],
            },
          },
        ],
      },
    ],
  };
}

function routeAction(route: ShortRoute): Record<string, unknown> {
  const [only] = route.clusters;
  if (route.clusters.length === 1 && only !== undefined) return { cluster: only };
  const weights = equalWeights(route.clusters.length);
  return { weighted_clusters: { clusters: route.clusters.map((name, i) => ({ name, weight: weights[i] })) } };
}

/**
 * Envoy takes the first route whose match fits, so routes are ordered longest
 * prefix first: `/foo` wins over `/` wherever each is written in the file.
 * Prefixes are unique per listener, and two different prefixes of one length
 * never match the same path, so this order is total and stable.
 */
function orderedRoutes(routes: readonly ShortRoute[]): ShortRoute[] {
  return [...routes].sort((a, b) => b.prefix.length - a.prefix.length);
}

function routeConfigBody(l: ShortListener): Record<string, unknown> {
  return {
    name: routeConfigNameOf(l.name),
    virtual_hosts: [
      {
        name: l.name,
        domains: ['*'],
        routes: orderedRoutes(l.routes).map((r) => ({ name: r.name, match: { prefix: r.prefix }, route: routeAction(r) })),
      },
    ],
  };
}

function clusterBody(c: ShortCluster): Record<string, unknown> {
  return {
    name: c.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: adsConfigSource() },
    connect_timeout: `${CLUSTER_CONNECT_TIMEOUT_S}s`,
    lb_policy: 'ROUND_ROBIN',
  };
}

function loadAssignmentBody(c: ShortCluster): Record<string, unknown> {
  // An empty endpoint list is valid: the cluster exists with no hosts (503s).
  const lbEndpoints = c.endpoints.map((e) => ({ endpoint: { address: socketAddress(e.address, e.port) } }));
  return { cluster_name: c.name, endpoints: lbEndpoints.length > 0 ? [{ lb_endpoints: lbEndpoints }] : [] };
}

/** The Envoy resources for a checked short-form document, each located at the entry it comes from. */
export function buildShortFormResources(spec: ShortFormSpec, file: string): RawResource[] {
  const out: RawResource[] = [];
  const add = (typeUrl: string, body: Record<string, unknown>, location: string): void => {
    out.push({ typeUrl, body, file, location, group: DEFAULT_GROUP });
  };
  for (const c of spec.clusters) {
    add(CLUSTER, clusterBody(c), c.path);
    add(ENDPOINT, loadAssignmentBody(c), `${c.path}.endpoints`);
  }
  for (const l of spec.listeners) {
    add(LISTENER, listenerBody(l), l.path);
    add(ROUTE, routeConfigBody(l), `${l.path}.routes`);
  }
  return out;
}

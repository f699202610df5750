/**
 * @module test/e2e/grpc-xds-mesh
 * Builds the config file the grpc-js-xds end-to-end test serves: an API
 * Listener for a gRPC target, its RouteConfiguration, EDS Clusters and their
 * ClusterLoadAssignments, written the way users write them (proto3 JSON with
 * `@type`, snake_case).
 *
 * What grpc-js-xds 1.14 insists on (read in
 * node_modules/@grpc/grpc-js-xds/build/src/xds-resource-type/), and so what
 * this file always sets:
 * - Listener: `api_listener.api_listener` is an HttpConnectionManager whose
 *   last (and only) HTTP filter has a Router `typed_config`, and whose
 *   `rds.config_source` has `ads` or `self` set (an empty message, so the
 *   server must keep empty messages when it encodes).
 * - Cluster: `type: EDS` with `eds_cluster_config.eds_config.ads` (again an
 *   empty message) and `lb_policy: ROUND_ROBIN`.
 * - ClusterLoadAssignment: each locality needs `locality` present (may be
 *   empty) and a non-zero `load_balancing_weight`; grpc-js-xds silently drops
 *   localities without a weight, leaving the cluster with no endpoints.
 * - Route: `match` with a path specifier (`prefix: ""` matches everything).
 * `stat_prefix` is not read by gRPC, but Envoy's validation rules require it
 * and the server enforces them, so it is set.
 */

const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const ENDPOINT_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** What the mesh looks like: one listener → one catch-all route → some of the clusters. */
export interface MeshSpec {
  /** LDS name: for target `xds:///echo.test` grpc-js-xds asks for `echo.test`. */
  readonly listenerName: string;
  readonly routeName: string;
  /**
   * Where the route sends calls: cluster name → weight. One entry gives a
   * plain `route.cluster`; more give `route.weighted_clusters`.
   */
  readonly routeWeights: Readonly<Record<string, number>>;
  /** Cluster name → port of the single backend on 127.0.0.1 it holds. */
  readonly clusters: Readonly<Record<string, number>>;
}

/** A config document as the server reads it from a file. */
export interface MeshConfig {
  readonly resources: readonly Record<string, unknown>[];
}

function listener(name: string, routeName: string): Record<string, unknown> {
  return {
    '@type': LISTENER_TYPE,
    name,
    api_listener: {
      api_listener: {
        '@type': HCM_TYPE,
        stat_prefix: 'echo',
        rds: {
          route_config_name: routeName,
          config_source: { ads: {}, resource_api_version: 'V3' },
        },
        http_filters: [{ name: 'router', typed_config: { '@type': ROUTER_TYPE } }],
      },
    },
  };
}

function routeAction(weights: Readonly<Record<string, number>>): Record<string, unknown> {
  const entries = Object.entries(weights);
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only) return { cluster: only[0] };
  return { weighted_clusters: { clusters: entries.map(([name, weight]) => ({ name, weight })) } };
}

function route(name: string, weights: Readonly<Record<string, number>>): Record<string, unknown> {
  return {
    '@type': ROUTE_TYPE,
    name,
    virtual_hosts: [
      {
        name: 'echo-vhost',
        domains: ['*'],
        routes: [{ match: { prefix: '' }, route: routeAction(weights) }],
      },
    ],
  };
}

function edsCluster(name: string): Record<string, unknown> {
  return {
    '@type': CLUSTER_TYPE,
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    lb_policy: 'ROUND_ROBIN',
  };
}

function loadAssignment(clusterName: string, port: number): Record<string, unknown> {
  return {
    '@type': ENDPOINT_TYPE,
    cluster_name: clusterName,
    endpoints: [
      {
        locality: {},
        load_balancing_weight: 1,
        lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }],
      },
    ],
  };
}

/** The config document for `spec`: Listener, RouteConfiguration, then a Cluster and CLA per cluster. */
export function meshConfig(spec: MeshSpec): MeshConfig {
  const resources: Record<string, unknown>[] = [listener(spec.listenerName, spec.routeName), route(spec.routeName, spec.routeWeights)];
  for (const [cluster, port] of Object.entries(spec.clusters)) {
    resources.push(edsCluster(cluster), loadAssignment(cluster, port));
  }
  return { resources };
}

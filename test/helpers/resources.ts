/**
 * @module test/helpers/resources
 * Builders for the resources tests serve, written the way users write them:
 * proto3 JSON (snake_case) with `@type`. Small and valid, so a test failure
 * is about the protocol, not the config.
 */
import type { ResourceJson } from '../../src/api-types';
import { T } from './service-paths';

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const ADS_SOURCE = { ads: {}, resource_api_version: 'V3' };

/**
 * An `eds_config` that is not ADS: endpoints come from a separate gRPC
 * `api_config_source` (cluster `xds_eds`), as in an Envoy whose clusters get
 * endpoints from another management server or another stream.
 */
export const SEPARATE_EDS_SOURCE = {
  api_config_source: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_eds' } }] },
  resource_api_version: 'V3',
} as const;

/** Options for {@link cluster}. */
export interface ClusterOptions {
  /** EDS cluster (endpoints from a ClusterLoadAssignment of the same name) instead of STATIC. */
  readonly eds?: boolean;
  /** connect_timeout in seconds; change it to change the cluster's content. Default 1. */
  readonly timeoutSeconds?: number;
  /** The EDS cluster's `eds_config` (implies `eds`). Default: ADS. */
  readonly edsConfig?: Record<string, unknown>;
}

/** A Cluster: STATIC with one local endpoint, or EDS (over ADS unless `edsConfig` says otherwise). */
export function cluster(name: string, options: ClusterOptions = {}): ResourceJson {
  const base = { '@type': T.CLUSTER, name, connect_timeout: `${options.timeoutSeconds ?? 1}s` };
  if (options.eds || options.edsConfig) return { ...base, type: 'EDS', eds_cluster_config: { eds_config: options.edsConfig ?? ADS_SOURCE } };
  return { ...base, type: 'STATIC', load_assignment: claBody(name, [8080]) };
}

function endpointOf(e: number | string): Record<string, unknown> {
  const [host, port] = typeof e === 'number' ? ['127.0.0.1', e] : [e.slice(0, e.lastIndexOf(':')), Number(e.slice(e.lastIndexOf(':') + 1))];
  return { endpoint: { address: { socket_address: { address: host, port_value: port } } } };
}

function claBody(name: string, endpoints: readonly (number | string)[]): Record<string, unknown> {
  return { cluster_name: name, endpoints: [{ lb_endpoints: endpoints.map(endpointOf) }] };
}

/** A ClusterLoadAssignment; endpoints are ports on 127.0.0.1 or "host:port" strings. */
export function cla(name: string, endpoints: readonly (number | string)[] = [8080]): ResourceJson {
  return { '@type': T.ENDPOINT, ...claBody(name, endpoints) };
}

/** A Listener on `port` whose HTTP connection manager fetches route `routeName` over RDS. */
export function listener(name: string, routeName: string, port = 10000): ResourceJson {
  return {
    '@type': T.LISTENER,
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: 'ingress_http',
              rds: { route_config_name: routeName, config_source: ADS_SOURCE },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
            },
          },
        ],
      },
    ],
  };
}

/** A RouteConfiguration sending every request to `clusterName`. */
export function route(name: string, clusterName: string, domains: readonly string[] = ['*']): ResourceJson {
  return {
    '@type': T.ROUTE,
    name,
    virtual_hosts: [{ name: `${name}-vh`, domains: [...domains], routes: [{ match: { prefix: '/' }, route: { cluster: clusterName } }] }],
  };
}

/** A VirtualHost for VHDS; by Envoy convention its name is `<route config>/<vhost>`. */
export function virtualHost(name: string, domains: readonly string[], clusterName: string): ResourceJson {
  return { '@type': T.VIRTUAL_HOST, name, domains: [...domains], routes: [{ match: { prefix: '/' }, route: { cluster: clusterName } }] };
}

/** A TLS Secret holding a generic secret value. */
export function secret(name: string, value = 'sekrit'): ResourceJson {
  return { '@type': T.SECRET, name, generic_secret: { secret: { inline_string: value } } };
}

/** A Runtime layer. */
export function runtime(name: string, layer: Record<string, unknown> = { 'feature.enabled': true }): ResourceJson {
  return { '@type': T.RUNTIME, name, layer };
}

/** A ScopedRouteConfiguration pointing at route configuration `routeName`. */
export function scopedRoute(name: string, routeName: string, key = 'a'): ResourceJson {
  return { '@type': T.SCOPED_ROUTE, name, route_configuration_name: routeName, key: { fragments: [{ string_key: key }] } };
}

/** A TypedExtensionConfig (ECDS) holding the HTTP router filter. */
export function extensionConfig(name: string): ResourceJson {
  return { '@type': T.EXTENSION_CONFIG, name, typed_config: { '@type': ROUTER_TYPE } };
}

/** Names of the built-in example config (see {@link exampleResources}). */
export const EXAMPLE = { listener: 'listener_0', route: 'local_route', cluster: 'example_cluster' } as const;

/**
 * The CLI's built-in example, rebuilt from the public description: listener_0
 * on :10000 → route local_route → EDS cluster example_cluster → one endpoint.
 */
export function exampleResources(): ResourceJson[] {
  return [listener(EXAMPLE.listener, EXAMPLE.route, 10000), route(EXAMPLE.route, EXAMPLE.cluster), cluster(EXAMPLE.cluster, { eds: true }), cla(EXAMPLE.cluster, [8080])];
}

/**
 * @module test/helpers/service-paths
 * gRPC method paths of the aggregated and per-type discovery services
 * (data-plane-api envoy/service/<kind>/v3/*.proto), so tests can open
 * exactly the stream a real client would.
 */
import type { Variant } from './xds-codec';

export const T = {
  LISTENER: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  ROUTE: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  SCOPED_ROUTE: 'type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration',
  VIRTUAL_HOST: 'type.googleapis.com/envoy.config.route.v3.VirtualHost',
  CLUSTER: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ENDPOINT: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  SECRET: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  RUNTIME: 'type.googleapis.com/envoy.service.runtime.v3.Runtime',
  EXTENSION_CONFIG: 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig',
} as const;

const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';

/** ADS method path for a variant. */
export function adsPath(variant: Variant): string {
  return ADS + (variant === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources');
}

/** The retired v2 ADS path, which a v3-only server must answer with UNIMPLEMENTED (rule A1). */
export function v2AdsPath(variant: Variant): string {
  return '/envoy.service.discovery.v2.AggregatedDiscoveryService/' + (variant === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources');
}

interface PerType {
  readonly service: string;
  readonly sotw?: string;
  readonly delta: string;
}

const PER_TYPE: Readonly<Record<string, PerType>> = {
  [T.CLUSTER]: { service: 'envoy.service.cluster.v3.ClusterDiscoveryService', sotw: 'StreamClusters', delta: 'DeltaClusters' },
  [T.ENDPOINT]: { service: 'envoy.service.endpoint.v3.EndpointDiscoveryService', sotw: 'StreamEndpoints', delta: 'DeltaEndpoints' },
  [T.LISTENER]: { service: 'envoy.service.listener.v3.ListenerDiscoveryService', sotw: 'StreamListeners', delta: 'DeltaListeners' },
  [T.ROUTE]: { service: 'envoy.service.route.v3.RouteDiscoveryService', sotw: 'StreamRoutes', delta: 'DeltaRoutes' },
  [T.SCOPED_ROUTE]: { service: 'envoy.service.route.v3.ScopedRoutesDiscoveryService', sotw: 'StreamScopedRoutes', delta: 'DeltaScopedRoutes' },
  [T.VIRTUAL_HOST]: { service: 'envoy.service.route.v3.VirtualHostDiscoveryService', delta: 'DeltaVirtualHosts' },
  [T.SECRET]: { service: 'envoy.service.secret.v3.SecretDiscoveryService', sotw: 'StreamSecrets', delta: 'DeltaSecrets' },
  [T.RUNTIME]: { service: 'envoy.service.runtime.v3.RuntimeDiscoveryService', sotw: 'StreamRuntime', delta: 'DeltaRuntime' },
  [T.EXTENSION_CONFIG]: {
    service: 'envoy.service.extension.v3.ExtensionConfigDiscoveryService',
    sotw: 'StreamExtensionConfigs',
    delta: 'DeltaExtensionConfigs',
  },
};

/** Per-type service method path for a type and variant; throws for a combination that does not exist (VHDS SotW). */
export function perTypePath(typeUrl: string, variant: Variant): string {
  const entry = PER_TYPE[typeUrl];
  const method = entry ? (variant === 'sotw' ? entry.sotw : entry.delta) : undefined;
  if (!entry || !method) throw new Error(`no per-type ${variant} service for ${typeUrl}`);
  return `/${entry.service}/${method}`;
}

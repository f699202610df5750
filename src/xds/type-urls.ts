/**
 * @module xds/type-urls
 * Type URL constants for every xDS resource type this server knows by name.
 * Other types whose proto is loadable are served too; these are the ones
 * the protocol rules (docs/protocol.md) treat specially (full-state SotW, send order).
 */

/** Prefix every `Any.type_url` carries. */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

export const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener' as const;
export const ROUTE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration' as const;
export const SCOPED_ROUTE = 'type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration' as const;
export const VIRTUAL_HOST = 'type.googleapis.com/envoy.config.route.v3.VirtualHost' as const;
export const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster' as const;
export const ENDPOINT = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment' as const;
export const SECRET = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret' as const;
export const RUNTIME = 'type.googleapis.com/envoy.service.runtime.v3.Runtime' as const;
export const EXTENSION_CONFIG = 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig' as const;

/** Envelope used in SotW for clients that advertise resource-in-sotw (rule A3). */
export const DISCOVERY_RESOURCE = 'type.googleapis.com/envoy.service.discovery.v3.Resource' as const;

/** Fully qualified proto message name of a type URL (`type.googleapis.com/a.b.C` → `a.b.C`). */
export function messageNameOf(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf('/');
  return slash === -1 ? typeUrl : typeUrl.slice(slash + 1);
}

/**
 * @module xds/resource-types
 * Resource types as data: one record per type saying how the protocol treats
 * it. Unknown-but-loadable types get a default record (not full-state, sent
 * after the well-known types).
 */
import * as T from './type-urls';

/** A per-type discovery service and its methods (a type without a SotW method has none). */
export interface TypeService {
  readonly service: string;
  readonly sotw?: string;
  readonly delta: string;
}

/**
 * Which side of make-before-break a type is on (docs/protocol.md D26):
 * route-side types point at cluster-side ones, so they wait for them.
 */
export type OrderSide = 'cluster' | 'route';

/** How the protocol treats one resource type. */
export interface ResourceType {
  readonly typeUrl: string;
  /** Short name used in logs and on the command line (`cds`, `eds`). */
  readonly shortName: string;
  /** Last segment of the message name (`Cluster`): the type in metrics labels and messages. */
  readonly label: string;
  /** The field holding a resource's name: `cluster_name` for ClusterLoadAssignment, `name` elsewhere. */
  readonly nameField: string;
  /**
   * SotW responses for this type carry every subscribed resource, and an
   * omitted name means deleted (xds_protocol.rst §Grouping Resources into Responses).
   */
  readonly fullStateInSotw: boolean;
  /** Whether an empty (legacy) or `*` subscription means "all resources". */
  readonly wildcardCapable: boolean;
  /**
   * Make-before-break order within one push (xds_protocol.rst §Eventual
   * consistency considerations): CDS → EDS → LDS → RDS → VHDS, others after.
   */
  readonly sendOrder: number;
  /** Ordering side across types on one stream; undefined for types outside those rules. */
  readonly side?: OrderSide;
  /** The per-type discovery service serving this type (besides ADS). */
  readonly service?: TypeService;
}

/** The last segment of a type URL's message name. */
function labelOf(typeUrl: string): string {
  const message = T.messageNameOf(typeUrl);
  return message.slice(message.lastIndexOf('.') + 1);
}

type Fields = Omit<ResourceType, 'label' | 'nameField'> & { readonly nameField?: string };

function record(fields: Fields): ResourceType {
  return { ...fields, label: labelOf(fields.typeUrl), nameField: fields.nameField ?? 'name' };
}

const svc = (service: string, delta: string, sotw?: string): TypeService => (sotw === undefined ? { service, delta } : { service, sotw, delta });

/** The well-known types, in send order. */
export const KNOWN_RESOURCE_TYPES: readonly ResourceType[] = [
  record({
    typeUrl: T.SECRET,
    shortName: 'sds',
    fullStateInSotw: false,
    wildcardCapable: false,
    sendOrder: 5,
    service: svc('envoy.service.secret.v3.SecretDiscoveryService', 'DeltaSecrets', 'StreamSecrets'),
  }),
  record({
    typeUrl: T.CLUSTER,
    shortName: 'cds',
    fullStateInSotw: true,
    wildcardCapable: true,
    sendOrder: 10,
    side: 'cluster',
    service: svc('envoy.service.cluster.v3.ClusterDiscoveryService', 'DeltaClusters', 'StreamClusters'),
  }),
  record({
    typeUrl: T.ENDPOINT,
    shortName: 'eds',
    nameField: 'cluster_name',
    fullStateInSotw: false,
    wildcardCapable: false,
    sendOrder: 20,
    side: 'cluster',
    service: svc('envoy.service.endpoint.v3.EndpointDiscoveryService', 'DeltaEndpoints', 'StreamEndpoints'),
  }),
  record({
    typeUrl: T.LISTENER,
    shortName: 'lds',
    fullStateInSotw: true,
    wildcardCapable: true,
    sendOrder: 30,
    side: 'route',
    service: svc('envoy.service.listener.v3.ListenerDiscoveryService', 'DeltaListeners', 'StreamListeners'),
  }),
  record({
    typeUrl: T.ROUTE,
    shortName: 'rds',
    fullStateInSotw: false,
    wildcardCapable: false,
    sendOrder: 40,
    side: 'route',
    service: svc('envoy.service.route.v3.RouteDiscoveryService', 'DeltaRoutes', 'StreamRoutes'),
  }),
  record({
    typeUrl: T.SCOPED_ROUTE,
    shortName: 'srds',
    fullStateInSotw: false,
    wildcardCapable: true,
    sendOrder: 45,
    side: 'route',
    service: svc('envoy.service.route.v3.ScopedRoutesDiscoveryService', 'DeltaScopedRoutes', 'StreamScopedRoutes'),
  }),
  record({
    typeUrl: T.VIRTUAL_HOST,
    shortName: 'vhds',
    fullStateInSotw: false,
    wildcardCapable: false,
    sendOrder: 50,
    side: 'route',
    service: svc('envoy.service.route.v3.VirtualHostDiscoveryService', 'DeltaVirtualHosts'),
  }),
  record({
    typeUrl: T.EXTENSION_CONFIG,
    shortName: 'ecds',
    fullStateInSotw: false,
    wildcardCapable: false,
    sendOrder: 55,
    service: svc('envoy.service.extension.v3.ExtensionConfigDiscoveryService', 'DeltaExtensionConfigs', 'StreamExtensionConfigs'),
  }),
  record({
    typeUrl: T.RUNTIME,
    shortName: 'rtds',
    fullStateInSotw: false,
    wildcardCapable: false,
    sendOrder: 60,
    service: svc('envoy.service.runtime.v3.RuntimeDiscoveryService', 'DeltaRuntime', 'StreamRuntime'),
  }),
];

const BY_URL = new Map<string, ResourceType>(KNOWN_RESOURCE_TYPES.map((t) => [t.typeUrl, t]));

/** The record for a type URL; loadable types without a record get a neutral default. */
export function resourceTypeOf(typeUrl: string): ResourceType {
  const known = BY_URL.get(typeUrl);
  if (known) return known;
  const fallback = record({
    typeUrl,
    shortName: T.messageNameOf(typeUrl),
    fullStateInSotw: false,
    wildcardCapable: false,
    sendOrder: 100,
  });
  BY_URL.set(typeUrl, fallback);
  return fallback;
}

/** A type's label (`Cluster`) for metrics and messages; never adds a record, so client-named types cost nothing. */
export function typeLabel(typeUrl: string): string {
  return BY_URL.get(typeUrl)?.label ?? labelOf(typeUrl);
}

/** Compare two type URLs by make-before-break send order. */
export function compareSendOrder(a: string, b: string): number {
  return resourceTypeOf(a).sendOrder - resourceTypeOf(b).sendOrder;
}

/** The well-known types on one ordering side. */
export function typesOnSide(side: OrderSide): string[] {
  return KNOWN_RESOURCE_TYPES.filter((t) => t.side === side).map((t) => t.typeUrl);
}

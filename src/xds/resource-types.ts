/**
 * @module xds/resource-types
 * Resource types as data: one record per type saying how the protocol treats
 * it. Unknown-but-loadable types get a default record (not full-state, sent
 * after the well-known types).
 */
import * as T from './type-urls';

/** How the protocol treats one resource type. */
export interface ResourceType {
  readonly typeUrl: string;
  /** Short name used in logs, metrics and the per-type service table. */
  readonly shortName: string;
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
}

const KNOWN: readonly ResourceType[] = [
  { typeUrl: T.CLUSTER, shortName: 'cds', fullStateInSotw: true, wildcardCapable: true, sendOrder: 10 },
  { typeUrl: T.ENDPOINT, shortName: 'eds', fullStateInSotw: false, wildcardCapable: false, sendOrder: 20 },
  { typeUrl: T.LISTENER, shortName: 'lds', fullStateInSotw: true, wildcardCapable: true, sendOrder: 30 },
  { typeUrl: T.ROUTE, shortName: 'rds', fullStateInSotw: false, wildcardCapable: false, sendOrder: 40 },
  { typeUrl: T.SCOPED_ROUTE, shortName: 'srds', fullStateInSotw: false, wildcardCapable: true, sendOrder: 45 },
  { typeUrl: T.VIRTUAL_HOST, shortName: 'vhds', fullStateInSotw: false, wildcardCapable: false, sendOrder: 50 },
  { typeUrl: T.SECRET, shortName: 'sds', fullStateInSotw: false, wildcardCapable: false, sendOrder: 5 },
  { typeUrl: T.RUNTIME, shortName: 'rtds', fullStateInSotw: false, wildcardCapable: false, sendOrder: 60 },
  { typeUrl: T.EXTENSION_CONFIG, shortName: 'ecds', fullStateInSotw: false, wildcardCapable: false, sendOrder: 55 },
];

const BY_URL = new Map<string, ResourceType>(KNOWN.map((t) => [t.typeUrl, t]));

/** The record for a type URL; loadable types without a record get a neutral default. */
export function resourceTypeOf(typeUrl: string): ResourceType {
  const known = BY_URL.get(typeUrl);
  if (known) return known;
  const fallback: ResourceType = {
    typeUrl,
    shortName: T.messageNameOf(typeUrl),
    fullStateInSotw: false,
    wildcardCapable: false,
    sendOrder: 100,
  };
  BY_URL.set(typeUrl, fallback);
  return fallback;
}


/** Compare two type URLs by make-before-break send order. */
export function compareSendOrder(a: string, b: string): number {
  return resourceTypeOf(a).sendOrder - resourceTypeOf(b).sendOrder;
}

/** The field holding a resource's name: `cluster_name` for ClusterLoadAssignment, `name` elsewhere. */
export function nameFieldOf(typeUrl: string): string {
  return typeUrl === T.ENDPOINT ? 'cluster_name' : 'name';
}

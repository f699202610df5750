/**
 * @module xds/type-names
 * The names people type for a resource type on a command line
 * (`fanout-xds get cluster`, `delete endpoint web`): the xDS short names of
 * resource-types.ts (`cds`, `eds`…), the message's own name in any case
 * (`Cluster`, `clusterloadassignment`), a few habitual words (`endpoint`,
 * `cla`, `route`), the full message name, or the type URL.
 */
import * as T from './type-urls';
import { KNOWN_RESOURCE_TYPES } from './resource-types';

/** Habitual words, singular; a trailing "s" is accepted too. */
const WORDS: Readonly<Record<string, string>> = {
  cluster: T.CLUSTER,
  endpoint: T.ENDPOINT,
  cla: T.ENDPOINT,
  listener: T.LISTENER,
  route: T.ROUTE,
  routeconfig: T.ROUTE,
  scopedroute: T.SCOPED_ROUTE,
  vhost: T.VIRTUAL_HOST,
  secret: T.SECRET,
  runtime: T.RUNTIME,
  extensionconfig: T.EXTENSION_CONFIG,
};

const BY_NAME = new Map<string, string>();
for (const t of KNOWN_RESOURCE_TYPES) {
  BY_NAME.set(t.shortName, t.typeUrl);
  BY_NAME.set(t.label.toLowerCase(), t.typeUrl);
}
for (const [word, url] of Object.entries(WORDS)) BY_NAME.set(word, url);

/**
 * The type URL a typed name stands for, or undefined. Dotted names
 * (`envoy.config.cluster.v3.Cluster`) and URLs are taken as written; the
 * caller checks that a proto defines them.
 */
export function typeUrlFromName(name: string): string | undefined {
  if (name.includes('/')) return name;
  if (name.includes('.')) return T.TYPE_URL_PREFIX + name;
  const lower = name.toLowerCase();
  return BY_NAME.get(lower) ?? (lower.endsWith('s') ? BY_NAME.get(lower.slice(0, -1)) : undefined);
}

/** The names `typeUrlFromName` accepts for the well-known types, for help texts. */
export const TYPE_NAME_EXAMPLES = 'cluster, endpoint (cla), listener, route, vhost, secret, runtime, extensionconfig, cds/eds/lds/rds…, or a full message name';

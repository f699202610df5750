/**
 * @module source/short-form
 * The short config form of the "build your own control plane" talk
 * (github.com/stevesloka/envoy-xds-server), translated into full Envoy v3
 * resources. A document is in this form when it has a top-level `spec`:
 *
 * ```yaml
 * name: testconfig                 # informational
 * spec:
 *   listeners:
 *   - name: listener_0
 *     address: 0.0.0.0             # an IP address
 *     port: 9000                   # 1..65535
 *     routes:                      # optional; none → every request gets 404
 *     - name: echoroute
 *       prefix: /                  # must start with "/"
 *       clusters: [echo]           # one or more; several → equal split
 *   clusters:
 *   - name: echo
 *     endpoints:                   # optional; none → the cluster has no hosts
 *     - address: 127.0.0.1         # an IP address
 *       port: 9101
 * ```
 *
 * Generated resources and their names (all derived from names in the file,
 * so they survive reordering and read naturally in Envoy stats and
 * `/config_dump`):
 *
 * | short form            | Envoy resource                    | name                     |
 * |-----------------------|-----------------------------------|--------------------------|
 * | listener `L`          | Listener                          | `L`                      |
 * |                       | … HCM `stat_prefix`               | `L`                      |
 * |                       | RouteConfiguration (RDS over ADS) | `L_routes`               |
 * |                       | … its one VirtualHost (`*`)       | `L`                      |
 * | route `R` of `L`      | Route entry in `L_routes`         | `R`                      |
 * | cluster `C`           | Cluster (EDS over ADS)            | `C`                      |
 * |                       | ClusterLoadAssignment             | `C`                      |
 *
 * Routes are ordered longest prefix first, so a more specific prefix wins
 * wherever it is written. A route naming several clusters uses
 * `weighted_clusters` with weights summing to 100 (see equalWeights).
 * Clusters use round robin and a 5 s connect timeout.
 *
 * Names must be unique: listeners and clusters per document, routes per
 * listener; two listeners may not share address and port, and a prefix may
 * appear once per listener. A route may name only clusters of its own
 * document (each document is translated on its own); names that clash with
 * other documents or files are caught by the store, like any duplicate. Every problem names the file and the dotted path
 * inside it, e.g. `spec.listeners[0].routes[0].clusters[0]: cluster "ech" is
 * not defined`, and nothing from a document with problems is served.
 */
import type { DialectTranslator, ParsedConfig } from './parse';
import { buildShortFormResources } from './short-form-build';
import { isShortFormDocument, readShortForm } from './short-form-read';

/** Translate a short-form document; undefined when the document is in another form. */
export const translateShortForm: DialectTranslator = (doc, file): ParsedConfig | undefined => {
  if (!isShortFormDocument(doc)) return undefined;
  const read = readShortForm(doc, file);
  if (!read.ok) return { resources: [], groups: [], problems: [...read.errors] };
  return { resources: buildShortFormResources(read.value, file), groups: [], problems: [] };
};

/**
 * @module test/fault/operator-config
 * Config files for the operator tests: a small mesh with a Secret (whose
 * private key must never show) and a `canary` node group that overrides
 * one cluster, and the same mesh with a route to a cluster that is missing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The private key text; no admin answer may contain it. */
export const PRIVATE_KEY = 'TOP-SECRET-KEY-TEXT';

/** The mesh: listener l0 → route r0 (virtual host vh0, route "api") → cluster `routeCluster` (EDS) → c0's endpoints. */
export function meshYaml(options: { routeCluster?: string; timeout?: string } = {}): string {
  return `resources:
  - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
    name: l0
    address: { socket_address: { address: 0.0.0.0, port_value: 10000 } }
    filter_chains:
      - filters:
          - name: hcm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
              stat_prefix: in
              rds: { route_config_name: r0, config_source: { ads: {}, resource_api_version: V3 } }
              http_filters:
                - name: router
                  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  - "@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration
    name: r0
    virtual_hosts:
      - name: vh0
        domains: ["*"]
        routes:
          - name: api
            match: { prefix: "/" }
            route: { cluster: ${options.routeCluster ?? 'c0'} }
  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
    name: c0
    type: EDS
    connect_timeout: ${options.timeout ?? '5s'}
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: V3 } }
  - "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
    cluster_name: c0
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 8080 } } } }] }]
  - "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret
    name: s0
    tls_certificate:
      certificate_chain: { inline_string: CERT-TEXT }
      private_key: { inline_string: ${PRIVATE_KEY} }
node_groups:
  - name: canary
    match: { id: "canary-.*" }
    resources:
      - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
        name: c0
        type: EDS
        connect_timeout: 9s
        eds_cluster_config: { eds_config: { ads: {}, resource_api_version: V3 } }
`;
}

/** A temporary config file holding `text`; returns its path. */
export function writeConfig(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-operator-'));
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, text);
  return file;
}

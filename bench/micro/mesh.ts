/**
 * @module bench/micro/mesh
 * Resource JSON for micro-benchmarks: clusters and their endpoints, shaped
 * like the bench scenario's mesh.
 */
import type { ResourceJson } from '../../src/index';

/** `n` EDS clusters. */
export function clusters(n: number): ResourceJson[] {
  return Array.from({ length: n }, (_, i) => ({
    '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
    name: `cluster-${i}`,
    type: 'EDS',
    connect_timeout: '1s',
    lb_policy: 'ROUND_ROBIN',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
  }));
}

/** `n` ClusterLoadAssignments with `endpoints` endpoints each. */
export function loadAssignments(n: number, endpoints: number, salt = 0): ResourceJson[] {
  return Array.from({ length: n }, (_, i) => ({
    '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
    cluster_name: `cluster-${i}`,
    endpoints: [
      {
        locality: { zone: 'zone-a' },
        lb_endpoints: Array.from({ length: endpoints }, (_, j) => ({
          endpoint: { address: { socket_address: { address: `10.${(i >> 8) & 255}.${i & 255}.${j + 1}`, port_value: 8080 + salt } } },
        })),
      },
    ],
  }));
}

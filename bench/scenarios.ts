/**
 * @module bench/scenarios
 * The generated mesh and the changes a benchmark makes to it. A mesh is
 * `--clusters` EDS clusters with `--endpoints` each, `--routes` route
 * configurations that spread the clusters over their routes, and
 * `--listeners` listeners whose HTTP connection manager asks RDS for one of
 * the routes. Every change carries a latency stamp ({@link formatStamp}) in a
 * field any server passes through untouched:
 *
 * - `endpoint`: one endpoint's `hostname` in one ClusterLoadAssignment;
 * - `cluster`: a new EDS cluster plus its ClusterLoadAssignment, the stamp
 *   in an endpoint hostname, so the change has arrived when the node, having
 *   learnt the cluster over CDS, holds its endpoints;
 * - `listener`: one listener now names a new RouteConfiguration whose
 *   virtual host domain carries the stamp (LDS, then RDS);
 * - `mixed`: the three in turn.
 */
import { formatStamp } from '../loadgen/stamp';

export type Churn = 'endpoint' | 'cluster' | 'listener' | 'mixed';
export const CHURNS: readonly Churn[] = ['endpoint', 'cluster', 'listener', 'mixed'];

/**
 * What a variant run does: the update rounds only; or the rounds and then a
 * crash (SIGKILL) and restart of the server on the same config, measuring
 * what every node is sent when it reconnects (bench/restart.ts); or, with
 * replicas, the rounds and then one replica killed, measuring what its nodes
 * are sent by the others they move to (bench/failover.ts).
 */
export type Scenario = 'updates' | 'restart' | 'failover';
export const SCENARIOS: readonly Scenario[] = ['updates', 'restart', 'failover'];

/** Mesh size. */
export interface MeshSpec {
  readonly clusters: number;
  readonly endpoints: number;
  readonly listeners: number;
  readonly routes: number;
}

type Json = Record<string, unknown>;

const T = 'type.googleapis.com/';
const HCM = T + 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = T + 'envoy.extensions.filters.http.router.v3.Router';
const ADS_SOURCE = { ads: {}, resource_api_version: 'V3' };
const FIRST_LISTENER_PORT = 10_000;
const UPSTREAM_PORT = 8080;

function cluster(name: string): Json {
  return {
    '@type': T + 'envoy.config.cluster.v3.Cluster',
    name,
    type: 'EDS',
    connect_timeout: '1s',
    lb_policy: 'ROUND_ROBIN',
    eds_cluster_config: { eds_config: ADS_SOURCE },
  };
}

function loadAssignment(name: string, index: number, endpoints: number, stamp?: string): Json {
  const lb = [];
  for (let j = 0; j < endpoints; j++) {
    const endpoint: Json = {
      address: { socket_address: { address: `10.${(index >> 8) & 255}.${index & 255}.${j + 1}`, port_value: UPSTREAM_PORT } },
    };
    if (j === 0 && stamp) endpoint['hostname'] = stamp;
    lb.push({ endpoint });
  }
  return { '@type': T + 'envoy.config.endpoint.v3.ClusterLoadAssignment', cluster_name: name, endpoints: [{ lb_endpoints: lb }] };
}

function routeConfig(name: string, k: number, clusterNames: readonly string[], stamp?: string): Json {
  const domains = [`svc-${k}.mesh`];
  if (stamp) domains.push(`${stamp}.mesh`);
  return {
    '@type': T + 'envoy.config.route.v3.RouteConfiguration',
    name,
    virtual_hosts: [
      {
        name: `vh-${k}`,
        domains,
        routes: clusterNames.map((c) => ({ match: { prefix: `/${c}/` }, route: { cluster: c } })),
      },
    ],
  };
}

function listener(name: string, l: number, routeName: string): Json {
  return {
    '@type': T + 'envoy.config.listener.v3.Listener',
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: FIRST_LISTENER_PORT + l } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: name,
              rds: { route_config_name: routeName, config_source: ADS_SOURCE },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
            },
          },
        ],
      },
    ],
  };
}

/** The mesh as a mutable set of resources, keyed by type and name. */
export class Mesh {
  readonly spec: MeshSpec;
  readonly #resources = new Map<string, Json>();
  /** Route name each listener currently uses. */
  readonly #listenerRoute: string[] = [];
  /** Clusters each base route config routes to. */
  readonly #routeClusters: string[][] = [];

  constructor(spec: MeshSpec) {
    this.spec = spec;
    const R = Math.max(1, spec.routes);
    for (let k = 0; k < R; k++) this.#routeClusters.push([]);
    for (let i = 0; i < spec.clusters; i++) {
      const name = `cluster-${i}`;
      this.#put('cds', name, cluster(name));
      this.#put('eds', name, loadAssignment(name, i, spec.endpoints));
      (this.#routeClusters[i % R] as string[]).push(name);
    }
    for (let k = 0; k < spec.routes; k++) this.#put('rds', `route-${k}`, routeConfig(`route-${k}`, k, this.#routeClusters[k] as string[]));
    for (let l = 0; l < spec.listeners; l++) {
      const route = spec.routes > 0 ? `route-${l % spec.routes}` : '';
      this.#listenerRoute.push(route);
      if (route) this.#put('lds', `listener-${l}`, listener(`listener-${l}`, l, route));
    }
  }

  #put(kind: string, name: string, r: Json): void {
    this.#resources.set(`${kind}/${name}`, r);
  }

  get size(): number {
    return this.#resources.size;
  }

  /** The config file text the server reads (JSON, `resources: [...]`). */
  toConfigText(): string {
    return JSON.stringify({ resources: [...this.#resources.values()] });
  }

  /**
   * Apply round `round`'s change of kind `churn`, stamped `stamp-<round>-<atMicros>`.
   * Returns a one-line description.
   */
  applyChange(churn: Churn, round: number, atMicros: number): string {
    const kind: Exclude<Churn, 'mixed'> = churn === 'mixed' ? ((['endpoint', 'cluster', 'listener'] as const)[(round - 1) % 3] as Exclude<Churn, 'mixed'>) : churn;
    const stamp = formatStamp(round, atMicros);
    switch (kind) {
      case 'endpoint': {
        if (this.spec.clusters === 0) throw new Error('endpoint churn needs --clusters > 0');
        const i = (round - 1) % this.spec.clusters;
        this.#put('eds', `cluster-${i}`, loadAssignment(`cluster-${i}`, i, Math.max(1, this.spec.endpoints), stamp));
        return `endpoint hostname of cluster-${i}`;
      }
      case 'cluster': {
        const name = `cluster-new-${round}`;
        this.#put('cds', name, cluster(name));
        this.#put('eds', name, loadAssignment(name, this.spec.clusters + round, Math.max(1, this.spec.endpoints), stamp));
        return `added ${name}`;
      }
      case 'listener': {
        if (this.spec.listeners === 0 || this.spec.routes === 0) throw new Error('listener churn needs --listeners > 0 and --routes > 0');
        const l = (round - 1) % this.spec.listeners;
        const k = l % this.spec.routes;
        const previous = this.#listenerRoute[l] as string;
        const name = `route-l${l}-r${round}`;
        this.#put('rds', name, routeConfig(name, k, this.#routeClusters[k] as string[], stamp));
        this.#put('lds', `listener-${l}`, listener(`listener-${l}`, l, name));
        this.#listenerRoute[l] = name;
        if (!previous.startsWith('route-l') || this.#listenerRoute.includes(previous)) return `listener-${l} → ${name}`;
        this.#resources.delete(`rds/${previous}`);
        return `listener-${l} → ${name} (removed ${previous})`;
      }
    }
  }
}

/**
 * The generated mesh and its stamped changes.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { Mesh } from '../../bench/scenarios';
import { findStamps } from '../../loadgen/stamp';

type Res = Record<string, unknown> & { '@type': string; name?: string; cluster_name?: string };
const resources = (m: Mesh): Res[] => (JSON.parse(m.toConfigText()) as { resources: Res[] }).resources;
const byType = (m: Mesh, suffix: string): Res[] => resources(m).filter((r) => r['@type'].endsWith(suffix));

describe('bench mesh', () => {
  it('generates clusters, their endpoints, routes over the clusters and listeners using the routes', () => {
    const m = new Mesh({ clusters: 6, endpoints: 3, listeners: 2, routes: 3 });
    assert.equal(byType(m, '.Cluster').length, 6);
    assert.equal(byType(m, '.ClusterLoadAssignment').length, 6);
    assert.equal(byType(m, '.RouteConfiguration').length, 3);
    assert.equal(byType(m, '.Listener').length, 2);
    assert.equal(m.size, 17);
    assert.equal(findStamps(Buffer.from(m.toConfigText())).length, 0, 'no stamps before the first change');
  });

  it('stamps an endpoint hostname in endpoint churn, cycling through the clusters', () => {
    const m = new Mesh({ clusters: 2, endpoints: 1, listeners: 0, routes: 0 });
    assert.equal(m.applyChange('endpoint', 3, 42), 'endpoint hostname of cluster-0');
    const cla = byType(m, '.ClusterLoadAssignment').find((r) => r.cluster_name === 'cluster-0');
    assert.deepEqual(findStamps(Buffer.from(JSON.stringify(cla))), [{ round: 3, atMicros: 42 }]);
  });

  it('adds a cluster whose endpoints carry the stamp in cluster churn', () => {
    const m = new Mesh({ clusters: 1, endpoints: 1, listeners: 0, routes: 0 });
    m.applyChange('cluster', 1, 7);
    assert.ok(byType(m, '.Cluster').some((r) => r.name === 'cluster-new-1'));
    const cla = byType(m, '.ClusterLoadAssignment').find((r) => r.cluster_name === 'cluster-new-1');
    assert.deepEqual(findStamps(Buffer.from(JSON.stringify(cla))), [{ round: 1, atMicros: 7 }]);
  });

  it('points a listener at a new stamped route and removes the route it replaced', () => {
    const m = new Mesh({ clusters: 2, endpoints: 1, listeners: 1, routes: 1 });
    m.applyChange('listener', 1, 1);
    m.applyChange('listener', 2, 2);
    const routes = byType(m, '.RouteConfiguration').map((r) => r.name);
    assert.deepEqual(routes.sort(), ['route-0', 'route-l0-r2']);
    assert.match(JSON.stringify(byType(m, '.Listener')[0]), /route-l0-r2/);
  });

  it('rotates endpoint, cluster and listener changes in mixed churn', () => {
    const m = new Mesh({ clusters: 2, endpoints: 1, listeners: 1, routes: 1 });
    assert.deepEqual(
      [1, 2, 3, 4].map((r) => m.applyChange('mixed', r, r).split(' ')[0]),
      ['endpoint', 'added', 'listener-0', 'endpoint'],
    );
  });
});

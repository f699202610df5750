import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { etcdConfigOf, isConfigKey } from '../../../src/source/etcd-config';
import { configRange, etcdLayout } from '../../../src/source/etcd-keys';
import { formatProblem } from '../../../src/source/raw-resource';
import { parseResourceText } from '../../../src/source/resource-text';

const layout = etcdLayout('/fx/');
const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const ENDPOINT = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

test('resource keys become texts to encode, named by their key, sorted; status keys are not configuration', () => {
  const config = etcdConfigOf(
    layout,
    new Map([
      ['/fx/resources/default/envoy.config.cluster.v3.Cluster/b', '{}'],
      ['/fx/resources/default/envoy.config.cluster.v3.Cluster/a', '{}'],
      ['/fx/status/replicas/r1', 'not json at all {'],
    ]),
  );
  assert.deepEqual(config.problems, []);
  assert.deepEqual(
    config.resources.map((r) => [r.file, r.group, r.typeUrl, r.name]),
    [
      ['/fx/resources/default/envoy.config.cluster.v3.Cluster/a', '', CLUSTER, 'a'],
      ['/fx/resources/default/envoy.config.cluster.v3.Cluster/b', '', CLUSTER, 'b'],
    ],
  );
});

test('groups are tried by ascending order, then by name, as a file lists them', () => {
  const config = etcdConfigOf(
    layout,
    new Map([
      ['/fx/groups/zeta', '{"match": {"id": "z.*"}}'],
      ['/fx/groups/alpha', '{"match": {"id": "a.*"}}'],
      ['/fx/groups/late', 'match: { cluster: edge }\norder: 5\n'],
      ['/fx/groups/early', '{"match": {"metadata": {"tier": "gold"}}, "order": -1}'],
    ]),
  );
  assert.deepEqual(config.problems, []);
  assert.deepEqual(
    config.groups.map((g) => g.name),
    ['early', 'alpha', 'zeta', 'late'],
  );
  assert.deepEqual(config.groups[0]?.match, { metadata: { tier: 'gold' } });
});

test('malformed keys, bad group values and resources of undefined groups name their key', () => {
  const config = etcdConfigOf(
    layout,
    new Map([
      ['/fx/resource/default/envoy.config.cluster.v3.Cluster/a', '{}'],
      ['/fx/groups/bad-regex', '{"match": {"id": "("}}'],
      ['/fx/groups/bad-order', '{"match": {}, "order": "first"}'],
      ['/fx/groups/extra', '{"match": {}, "resources": []}'],
      ['/fx/resources/canary/envoy.config.cluster.v3.Cluster/a', '{}'],
    ]),
  );
  const lines = config.problems.map(formatProblem);
  assert.equal(lines.length, 5, lines.join('\n'));
  assert.match(lines[0] ?? '', /^\/fx\/groups\/bad-order: value: order: expected an integer/);
  assert.match(lines[1] ?? '', /^\/fx\/groups\/bad-regex: value: match\.id: invalid regular expression/);
  assert.match(lines[2] ?? '', /^\/fx\/groups\/extra: value: resources: unknown field "resources"/);
  assert.match(lines[3] ?? '', /^\/fx\/resource\/default\/envoy\.config\.cluster\.v3\.Cluster\/a: not a configuration key/);
  assert.match(lines[4] ?? '', /^\/fx\/resources\/canary\/envoy\.config\.cluster\.v3\.Cluster\/a: node group "canary" is not defined: write its match rule to \/fx\/groups\/canary/);
});

test('a stored resource must be the resource its key names', () => {
  const at = (text: string, typeUrl = CLUSTER, name = 'a') => parseResourceText({ file: 'K', text, group: '', typeUrl, name });
  assert.deepEqual(at('{"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "a"}').problems, []);
  assert.equal(at('"@type": envoy.config.cluster.v3.Cluster\nname: a\n').resource?.body['name'], 'a', 'YAML, short @type');
  assert.equal(at('{name: a, "@type": envoy.config.cluster.v3.Cluster}').resource?.location, 'value', 'YAML flow style');
  const cla = at('{"@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", "clusterName": "a"}', ENDPOINT);
  assert.deepEqual(cla.problems, [], 'camelCase names count');
  const problem = (text: string): string => formatProblem(at(text).problems[0] ?? { file: '', message: 'no problem' });
  assert.match(problem('{"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "b"}'), /^K: value: name: "name" is "b" but the key names "a"/);
  assert.match(problem('{"@type": "type.googleapis.com/envoy.config.listener.v3.Listener", "name": "a"}'), /^K: value: @type: "@type" is .*Listener but the key says .*Cluster/);
  assert.match(problem('{"name": "a"}'), /^K: value: @type: every resource needs "@type"/);
  assert.match(problem('{"name": "a",'), /^K: invalid JSON: /);
  assert.match(problem('[1, 2]'), /^K: value: expected one resource/);
});

test('the configuration range is [<prefix>, <prefix>status/): status keys and keys that sort after status/ are outside it', () => {
  const range = configRange(layout);
  assert.deepEqual(range, { start: '/fx/', end: '/fx/status/' });
  assert.ok(isConfigKey(layout, '/fx/resources/default/envoy.config.cluster.v3.Cluster/a'));
  assert.ok(isConfigKey(layout, '/fx/groups/canary'));
  assert.ok(isConfigKey(layout, '/fx/resource/typo'), 'a typo that sorts before status/ is read, so it is reported');
  assert.ok(isConfigKey(layout, '/fx/status'), 'status without its slash sorts before the range end');
  assert.ok(!isConfigKey(layout, '/fx/status/replicas/r1'));
  assert.ok(!isConfigKey(layout, '/fx/status/last-apply'));
  assert.ok(!isConfigKey(layout, '/fx/zones/a'), 'after status/: outside the watched range');
  assert.ok(!isConfigKey(layout, '/fy/resources/default/x/a'));
  assert.ok(!isConfigKey(layout, '/fx'));
});

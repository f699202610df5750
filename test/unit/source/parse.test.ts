import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseConfigText } from '../../../src/source/parse';
import { formatProblem } from '../../../src/source/raw-resource';

test('a resources list yields raw resources with file and location', () => {
  const parsed = parseConfigText('resources:\n  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n    name: c0\n', 'a.yaml');
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.resources.length, 1);
  assert.equal(parsed.resources[0]?.typeUrl, 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
  assert.deepEqual(parsed.resources[0]?.body, { name: 'c0' });
  assert.equal(parsed.resources[0]?.location, 'resources[0]');
});

test('JSON is accepted as well as YAML', () => {
  const parsed = parseConfigText('{"resources": [{"@type": "envoy.config.cluster.v3.Cluster", "name": "c0"}]}', 'a.json');
  assert.equal(parsed.resources[0]?.typeUrl, 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
});

test('a syntax error names the file', () => {
  const parsed = parseConfigText('resources: [\n  - oops', 'broken.yaml');
  assert.equal(parsed.resources.length, 0);
  assert.match(formatProblem(parsed.problems[0]!), /^broken\.yaml: .*syntax error/);
});

test('a resource without @type is reported with its index', () => {
  const parsed = parseConfigText('resources:\n  - name: c0\n', 'a.yaml');
  assert.equal(formatProblem(parsed.problems[0]!).startsWith('a.yaml: resources[0]: @type:'), true);
});

test('node_groups carry their matcher and their resources', () => {
  const parsed = parseConfigText(
    'node_groups:\n  - name: canary\n    match: { id: "canary-.*" }\n    resources:\n      - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n        name: c0\n',
    'g.yaml',
  );
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.groups, [{ name: 'canary', match: { id: 'canary-.*' } }]);
  assert.equal(parsed.resources[0]?.group, 'canary');
});

test('an unknown top-level key is an error, and a bad regex in a matcher too', () => {
  assert.match(formatProblem(parseConfigText('resourcez: []', 'a.yaml').problems[0]!), /unknown top-level key "resourcez"/);
  const bad = parseConfigText('node_groups:\n  - name: g\n    match: { id: "(" }\n', 'a.yaml');
  assert.match(formatProblem(bad.problems[0]!), /match\.id: invalid regular expression/);
});

test('a .json file with a syntax error gets a JSON error message', () => {
  const parsed = parseConfigText('{"resources": [}', 'bad.json');
  assert.match(formatProblem(parsed.problems[0]!), /^bad\.json: invalid JSON: /);
});

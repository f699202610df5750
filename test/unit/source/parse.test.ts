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

test('a file with no document is refused, saying how to serve nothing', () => {
  for (const [text, file] of [
    ['', 'a.yaml'],
    [' \n\t\n', 'a.yaml'],
    ['# only a comment\n', 'a.yaml'],
    ['---\n---\n', 'a.yaml'],
    ['~\n', 'a.yaml'],
    ['', 'a.json'],
    ['  \n', 'a.json'],
    ['null', 'a.json'],
  ]) {
    const parsed = parseConfigText(text as string, file as string);
    assert.equal(parsed.problems.length, 1, JSON.stringify(text));
    assert.equal(parsed.problems[0]?.refusal, 'no_document');
    assert.equal(formatProblem(parsed.problems[0]!), `${file}: the file has no document (it is empty, or only whitespace and comments); to serve nothing, write \`resources: []\``);
  }
});

test('an empty document between others is skipped, and resources: [] is an explicit empty config', () => {
  assert.deepEqual(parseConfigText('---\n---\nresources: []\n', 'a.yaml').problems, []);
  assert.deepEqual(parseConfigText('resources: []\n', 'a.yaml'), { resources: [], groups: [], problems: [] });
});

test('a document with none of our keys is not a config, and its keys are not named when they are not plain words', () => {
  const shadow = 'root:$6$Qm9vYmFyYmF6$k3sVxJq0zPn9yHfTqLw2uE1rXo8cA5dGbN7mZiS4tU6v:19876:0:99999:7:::\ndaemon:*:19876:0:99999:7:::\n';
  const parsed = parseConfigText(shadow, 'config.yaml');
  assert.equal(parsed.problems.length, 1);
  assert.equal(parsed.problems[0]?.refusal, 'not_a_config');
  assert.equal(
    formatProblem(parsed.problems[0]!),
    'config.yaml: not a config document: no "resources", "node_groups" or short-form "spec" at the top level (it has 2 other top-level keys); to serve nothing, write `resources: []`',
  );
  assert.match(formatProblem(parseConfigText('{}', 'a.json').problems[0]!), /^a\.json: not a config document: .* at the top level; to serve nothing/);
  const json = formatProblem(parseConfigText(shadow, 'config.json').problems[0]!);
  assert.equal(json, 'config.json: invalid JSON: unexpected character "r"');
});

test('YAML and JSON syntax errors give a position and no quote of the source', () => {
  const yaml = formatProblem(parseConfigText('resources:\n  - a: b\n   c: SECRETSECRET\n', 'a.yaml').problems[0]!);
  assert.match(yaml, /^a\.yaml: syntax error: .* at line \d+, column \d+$/);
  assert.equal(yaml.includes('SECRETSECRET'), false);
  const json = formatProblem(parseConfigText('{\n "resources": [],\n "SECRETSECRET" 1}', 'a.json').problems[0]!);
  assert.match(json, /^a\.json: invalid JSON: .* at line 3, column \d+$/);
  assert.equal(json.includes('SECRETSECRET'), false);
});

/**
 * @module test/unit/source/short-form-errors
 * A broken short-form file is rejected with messages that name the file and
 * the dotted path inside it, every problem at once, and yields no resources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/source/dialects';
import { parseConfigText } from '../../../src/source/parse';
import { formatProblem } from '../../../src/source/raw-resource';

const DEMO = `name: testconfig
spec:
  listeners:
  - name: listener_0
    address: 0.0.0.0
    port: 9000
    routes:
    - name: echoroute
      prefix: /
      clusters:
      - echo
  clusters:
  - name: echo
    endpoints:
    - address: 127.0.0.1
      port: 9101
    - address: 127.0.0.1
      port: 9102
`;

/** Formatted problems of a file that must be rejected; asserts it yields nothing to serve. */
function problemsOf(text: string, file = 'demo.yaml'): string[] {
  const parsed = parseConfigText(text, file);
  assert.ok(parsed.problems.length > 0, 'expected the file to be rejected');
  assert.deepEqual(parsed.resources, [], 'a rejected short-form document must yield no resources');
  return parsed.problems.map(formatProblem);
}

function assertOneProblem(text: string, expected: string): void {
  assert.deepEqual(problemsOf(text), [expected]);
}

test('a route naming an undefined cluster is reported at the path of that name', () => {
  assertOneProblem(DEMO.replace('      - echo\n', '      - ech\n'), 'demo.yaml: spec.listeners[0].routes[0].clusters[0]: cluster "ech" is not defined; define it under spec.clusters');
});

test('the message for an undefined cluster contains the text of the issue example', () => {
  const [message] = problemsOf(DEMO.replace('      - echo\n', '      - ech\n'));
  assert.ok(message?.startsWith('demo.yaml: spec.listeners[0].routes[0].clusters[0]: cluster "ech" is not defined'));
});

test('a YAML syntax error is reported with the file name', () => {
  const [message, ...rest] = problemsOf(DEMO.replace('    port: 9000\n', '    port: [9000\n'));
  assert.deepEqual(rest, []);
  assert.match(message ?? '', /^demo\.yaml: syntax error: /);
});

test('a listener port out of range is reported', () => {
  assertOneProblem(DEMO.replace('port: 9000', 'port: 70000'), 'demo.yaml: spec.listeners[0].port: port 70000 is out of range; use 1 to 65535');
});

test('an endpoint port of zero, a negative port and a non-integer port are each reported', () => {
  const text = DEMO.replace('port: 9101', 'port: 0').replace('port: 9102', 'port: -5').replace('port: 9000', 'port: "http"');
  assert.deepEqual(problemsOf(text).sort(), [
    'demo.yaml: spec.clusters[0].endpoints[0].port: port 0 is out of range; use 1 to 65535',
    'demo.yaml: spec.clusters[0].endpoints[1].port: port -5 is out of range; use 1 to 65535',
    'demo.yaml: spec.listeners[0].port: expected an integer port, got "http"',
  ]);
});

test('duplicate listener names are reported at the second one', () => {
  const text = DEMO.replace('\n  clusters:\n', '\n  - name: listener_0\n    address: 0.0.0.0\n    port: 9001\n  clusters:\n');
  assertOneProblem(text, 'demo.yaml: spec.listeners[1].name: duplicate listener name "listener_0"; spec.listeners[0] already defines it');
});

test('duplicate cluster names are reported at the second one', () => {
  assertOneProblem(`${DEMO}  - name: echo\n`, 'demo.yaml: spec.clusters[1].name: duplicate cluster name "echo"; spec.clusters[0] already defines it');
});

test('duplicate route names within one listener are reported', () => {
  const text = DEMO.replace('      - echo\n', '      - echo\n    - name: echoroute\n      prefix: /other\n      clusters: [echo]\n');
  assertOneProblem(text, 'demo.yaml: spec.listeners[0].routes[1].name: duplicate route name "echoroute" in this listener; spec.listeners[0].routes[0] already uses it');
});

test('the same route name in two listeners is allowed', () => {
  const text = DEMO.replace('\n  clusters:\n', '\n  - name: listener_1\n    address: 0.0.0.0\n    port: 9001\n    routes: [{name: echoroute, prefix: /, clusters: [echo]}]\n  clusters:\n');
  const parsed = parseConfigText(text, 'demo.yaml');
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.resources.length, 6);
});

test('two routes with one prefix in a listener are reported, since the second could never match', () => {
  const text = DEMO.replace('      - echo\n', '      - echo\n    - name: again\n      prefix: /\n      clusters: [echo]\n');
  assertOneProblem(text, 'demo.yaml: spec.listeners[0].routes[1].prefix: duplicate prefix "/"; spec.listeners[0].routes[0] already matches it, so this route would never be used');
});

test('two listeners on one address and port are reported', () => {
  const text = DEMO.replace('\n  clusters:\n', '\n  - {name: listener_1, address: 0.0.0.0, port: 9000}\n  clusters:\n');
  assertOneProblem(text, 'demo.yaml: spec.listeners[1].port: 0.0.0.0:9000 is already used by listener "listener_0" (spec.listeners[0]); Envoy cannot bind it twice');
});

test('the same endpoint listed twice in a cluster is reported', () => {
  assertOneProblem(DEMO.replace('port: 9102', 'port: 9101'), 'demo.yaml: spec.clusters[0].endpoints[1]: duplicate endpoint 127.0.0.1:9101; spec.clusters[0].endpoints[0] already lists it');
});

test('a cluster named twice in one route is reported', () => {
  assertOneProblem(DEMO.replace('      - echo\n', '      - echo\n      - echo\n'), 'demo.yaml: spec.listeners[0].routes[0].clusters[1]: cluster "echo" is listed twice in this route');
});

test('missing required fields of listeners, routes, clusters and endpoints are each reported', () => {
  const text = `
spec:
  listeners:
  - routes:
    - clusters: [echo]
    - name: no-clusters
      prefix: /x
  clusters:
  - endpoints:
    - port: 1
  - name: echo
    endpoints:
    - address: 127.0.0.1
`;
  assert.deepEqual(problemsOf(text).sort(), [
    'demo.yaml: spec.clusters[0].endpoints[0].address: every endpoint needs an "address"',
    'demo.yaml: spec.clusters[0].name: every cluster needs a "name"',
    'demo.yaml: spec.clusters[1].endpoints[0].port: every endpoint needs a "port"',
    'demo.yaml: spec.listeners[0].address: every listener needs an "address"',
    'demo.yaml: spec.listeners[0].name: every listener needs a "name"',
    'demo.yaml: spec.listeners[0].port: every listener needs a "port"',
    'demo.yaml: spec.listeners[0].routes[0].name: every route needs a "name"',
    'demo.yaml: spec.listeners[0].routes[0].prefix: every route needs a "prefix", e.g. "/"',
    'demo.yaml: spec.listeners[0].routes[1].clusters: every route needs "clusters": a list of one or more cluster names',
  ]);
});

test('an empty cluster list on a route is reported', () => {
  assertOneProblem(
    DEMO.replace('      clusters:\n      - echo\n', '      clusters: []\n'),
    'demo.yaml: spec.listeners[0].routes[0].clusters: expected a list of one or more cluster names, got an empty list',
  );
});

test('a host name where an IP address is needed is reported', () => {
  assertOneProblem(
    DEMO.replace('address: 127.0.0.1', 'address: localhost'),
    'demo.yaml: spec.clusters[0].endpoints[0].address: "localhost" is not an IP address; Envoy needs an IPv4 or IPv6 address here, e.g. 127.0.0.1',
  );
});

test('a prefix not starting with a slash is reported', () => {
  assertOneProblem(DEMO.replace('prefix: /', 'prefix: foo'), 'demo.yaml: spec.listeners[0].routes[0].prefix: prefix "foo" must start with "/"');
});

test('an unknown key, such as a typo, is reported rather than ignored', () => {
  assert.deepEqual(problemsOf(DEMO.replace('prefix: /', 'prefx: /')), [
    'demo.yaml: spec.listeners[0].routes[0].prefx: unknown key "prefx" in a route; expected name, prefix, clusters',
    // The typo also leaves the route without its prefix.
    'demo.yaml: spec.listeners[0].routes[0].prefix: every route needs a "prefix", e.g. "/"',
  ]);
});

test('a spec that is not a mapping is reported', () => {
  assertOneProblem('spec: [1, 2]\n', 'demo.yaml: spec: expected "spec" with "listeners" and/or "clusters" (a mapping), got a list');
});

test('a document mixing "spec" and "resources" is reported', () => {
  const problems = problemsOf(`${DEMO}resources: []\n`);
  assert.deepEqual(problems, ['demo.yaml: spec: a document is either the short form ("spec:") or the full form ("resources:"), not both; put them in separate documents or files']);
});

test('every problem in a file is reported at once', () => {
  const text = DEMO.replace('port: 9000', 'port: 70000').replace('      - echo\n', '      - ech\n').replace('port: 9102', 'port: 9101');
  assert.equal(problemsOf(text).length, 3);
});

/**
 * @module test/unit/transport/node-matcher.test
 * NodeMatcher compilation on messages decoded exactly as the server decodes
 * CSDS requests (protobufjs, where every oneof member's default sits on the
 * prototype): node metadata value kinds, limits on what one request may ask
 * for, and RE2's linear time on a pattern that stalls a backtracking engine.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { compileNodeMatchers, MAX_MATCHER_ELEMENTS, MAX_REGEX_CHARS } from '../../../src/transport/node-matcher';
import type { NodeInfo } from '../../../src/stream';

const NodeMatcher = loadProtoRoot().lookupType('envoy.type.matcher.v3.NodeMatcher');

/** A NodeMatcher as the server receives it: encoded, then decoded. */
function wire(object: Record<string, unknown>): unknown {
  return NodeMatcher.decode(NodeMatcher.encode(NodeMatcher.fromObject(object)).finish());
}

function node(id: string, metadata: Record<string, unknown> = {}): NodeInfo {
  return { id, cluster: '', metadata, clientFeatures: [], userAgent: '' };
}

function matches(matcher: Record<string, unknown>, n: NodeInfo): boolean {
  const compiled = compileNodeMatchers([wire(matcher)]);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.error);
  return compiled.value(n);
}

function metaMatcher(path: string[], value: Record<string, unknown>): Record<string, unknown> {
  return { nodeMetadatas: [{ path: path.map((key) => ({ key })), value }] };
}

test('a decoded prefix matcher is read as a prefix, not as the exact "" every decoded StringMatcher inherits', () => {
  assert.equal(matches({ nodeId: { prefix: 'edge-' } }, node('edge-1')), true);
  assert.equal(matches({ nodeId: { prefix: 'edge-' } }, node('core-1')), false);
  assert.equal(matches({ nodeId: { exact: '' } }, node('')), true, 'an explicit exact "" still matches the empty id');
});

test('metadata value matchers: string, number (exact and [start, end)), bool, null, present, list and or', () => {
  const n = node('n', { region: 'eu-west', weight: 5, canary: true, nothing: null, tags: ['a', 'b'], deep: { zone: 'z1' } });
  assert.equal(matches(metaMatcher(['region'], { stringMatch: { suffix: '-west' } }), n), true);
  assert.equal(matches(metaMatcher(['weight'], { doubleMatch: { exact: 5 } }), n), true);
  assert.equal(matches(metaMatcher(['weight'], { doubleMatch: { range: { start: 1, end: 5 } } }), n), false, 'end is exclusive');
  assert.equal(matches(metaMatcher(['weight'], { doubleMatch: { range: { start: 5, end: 6 } } }), n), true, 'start is inclusive');
  assert.equal(matches(metaMatcher(['canary'], { boolMatch: true }), n), true);
  assert.equal(matches(metaMatcher(['canary'], { boolMatch: false }), n), false);
  assert.equal(matches(metaMatcher(['nothing'], { nullMatch: {} }), n), true);
  assert.equal(matches(metaMatcher(['region'], { nullMatch: {} }), n), false);
  assert.equal(matches(metaMatcher(['deep', 'zone'], { presentMatch: true }), n), true, 'a path walks nested structs');
  assert.equal(matches(metaMatcher(['deep', 'nope'], { presentMatch: true }), n), false);
  assert.equal(matches(metaMatcher(['tags'], { listMatch: { oneOf: { stringMatch: { exact: 'b' } } } }), n), true);
  assert.equal(matches(metaMatcher(['tags'], { listMatch: { oneOf: { stringMatch: { exact: 'c' } } } }), n), false);
  assert.equal(matches(metaMatcher(['region'], { orMatch: { valueMatchers: [{ stringMatch: { exact: 'x' } }, { stringMatch: { prefix: 'eu' } }] } }), n), true);
  assert.equal(matches(metaMatcher(['weight'], { stringMatch: { exact: '5' } }), n), false, 'a string matcher does not match a number');
});

test('RE2 answers (a+)+ against a 27-character id in linear time', () => {
  const compiled = compileNodeMatchers([wire({ nodeId: { safeRegex: { regex: '(a+)+' } } })]);
  assert.ok(compiled.ok);
  const started = performance.now();
  assert.equal(compiled.value(node(`${'a'.repeat(26)}b`)), false);
  const ms = performance.now() - started;
  assert.ok(ms < 200, `took ${ms.toFixed(1)} ms`);
});

test('a request asking for too much is refused with the limit: regex length, matcher count, nesting depth', () => {
  const long = compileNodeMatchers([wire({ nodeId: { safeRegex: { regex: 'a'.repeat(MAX_REGEX_CHARS + 1) } } })]);
  assert.ok(!long.ok && long.error.includes(String(MAX_REGEX_CHARS)), 'regex length');
  const many = compileNodeMatchers(Array.from({ length: MAX_MATCHER_ELEMENTS + 1 }, () => wire({ nodeId: { exact: 'x' } })));
  assert.ok(!many.ok && many.error.includes(String(MAX_MATCHER_ELEMENTS)), 'matcher count');
  let value: Record<string, unknown> = { presentMatch: true };
  for (let i = 0; i < 20; i++) value = { listMatch: { oneOf: value } };
  const deep = compileNodeMatchers([wire(metaMatcher(['a'], value))]);
  assert.ok(!deep.ok && /deeper than/.test(deep.error), 'nesting depth');
});

test('no matchers select every node', () => {
  const all = compileNodeMatchers(undefined);
  assert.ok(all.ok && all.value(node('anything')));
});

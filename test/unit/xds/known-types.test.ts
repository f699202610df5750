/**
 * @module test/unit/xds/known-types.test
 * Client type URLs are checked against a table built from the proto root:
 * exactly `type.googleapis.com/<full message name>`, one interned string
 * each, and client text never reaches protobufjs's lookup (which caches
 * every miss for good).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { knownTypeUrls } from '../../../src/xds/known-types';

const root = loadProtoRoot();
const table = knownTypeUrls(root);
const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

test('a full type URL of a loaded message is known; partial names and other prefixes are not', () => {
  assert.equal(table.canonical(CLUSTER), CLUSTER);
  assert.ok(table.has('type.googleapis.com/google.protobuf.Struct'));
  assert.ok(!table.has('type.googleapis.com/Cluster'), 'a partial name protobufjs would resolve');
  assert.ok(!table.has('type.googleapis.com/v3.Cluster'));
  assert.ok(!table.has('example.com/envoy.config.cluster.v3.Cluster'), 'another prefix');
  assert.ok(!table.has(`${'x'.repeat(1000)}/envoy.config.cluster.v3.Cluster`));
  assert.ok(!table.has('type.googleapis.com/no.such.v3.Thing'));
  assert.ok(!table.has(''));
});

test('checking an unknown type URL leaves no trace in the proto root', () => {
  type Cached = { _lookupCache: Record<string, unknown>; nestedArray: unknown[] };
  const caches = (ns: Cached, out: Record<string, unknown>[] = []): Record<string, unknown>[] => {
    out.push(ns._lookupCache);
    for (const child of ns.nestedArray) if ((child as Cached)._lookupCache) caches(child as Cached, out);
    return out;
  };
  const keys = (): number => caches(root as unknown as Cached).reduce((n, c) => n + Object.keys(c).length, 0);
  table.has(CLUSTER); // table built
  const before = keys();
  for (let i = 0; i < 10; i++) table.has(`type.googleapis.com/junk.${i}.${'y'.repeat(10_000)}`);
  assert.equal(keys(), before);
});

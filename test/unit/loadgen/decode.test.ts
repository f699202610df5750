/**
 * Tests for the loadgen's hand-written wire reading: response envelopes,
 * the few resource fields a node follows, latency stamps, and the shared
 * state graph that lets thousands of nodes share one decode.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type * as protobuf from 'protobufjs';
import { loadProtoRoot } from '../../../src/xds/proto-root';
import { CLUSTER, ENDPOINT, LISTENER } from '../../../src/xds/type-urls';
import { decodeDeltaResponse, decodeDeltaResource, decodeSotwResource, decodeSotwResponse, removedOf, resourcesOf } from '../../../loadgen/xds-decode';
import { findStamps, formatStamp } from '../../../loadgen/stamp';
import { NameSetPool } from '../../../loadgen/name-set';
import { TypeGraph } from '../../../loadgen/type-state';
import { encodeDeltaRequest, encodeInitialVersions, encodeSotwRequest, encodeStatus } from '../../../loadgen/xds-encode';
import { clusterBytes, listenerBytes, loadAssignmentBytes } from './fake-ads-server';

let root: protobuf.Root | undefined;
function t(name: string): protobuf.Type {
  root ??= loadProtoRoot();
  return root.lookupType(name);
}
function enc(name: string, obj: Record<string, unknown>): Buffer {
  return Buffer.from(t(name).encode(t(name).fromObject(obj)).finish());
}
function sotw(typeUrl: string, version: string, nonce: string, bodies: Buffer[]): Buffer {
  return enc('envoy.service.discovery.v3.DiscoveryResponse', { versionInfo: version, typeUrl, nonce, resources: bodies.map((value) => ({ type_url: typeUrl, value })) });
}
function delta(typeUrl: string, nonce: string, resources: [string, string, Buffer][], removed: string[] = []): Buffer {
  return enc('envoy.service.discovery.v3.DeltaDiscoveryResponse', {
    typeUrl,
    nonce,
    removedResources: removed,
    resources: resources.map(([name, version, value]) => ({ name, version, resource: { type_url: typeUrl, value } })),
  });
}

describe('loadgen wire decoding', () => {
  it('reads version, nonce, type URL and resources of a SotW response', () => {
    const r = decodeSotwResponse(sotw(CLUSTER, 'v7', 'n3', [clusterBytes('a'), clusterBytes('b', 'svc-b')]));
    assert.equal(r.versionInfo, 'v7');
    assert.equal(r.nonce, 'n3');
    assert.equal(r.typeUrl, CLUSTER);
    assert.equal(resourcesOf(r).length, 2);
    const infos = resourcesOf(r).map((x) => decodeSotwResource(CLUSTER, x));
    assert.deepEqual(
      infos.map((i) => [i.name, i.deps]),
      [
        ['a', ['a']],
        ['b', ['svc-b']],
      ],
    );
  });

  it('gives equal content keys to responses that differ only in nonce and version', () => {
    const a = decodeSotwResponse(sotw(CLUSTER, 'v1', 'n1', [clusterBytes('a')]));
    const b = decodeSotwResponse(sotw(CLUSTER, 'v2', 'n-long-nonce', [clusterBytes('a')]));
    assert.ok(a.contentKey.equals(b.contentKey));
  });

  it('finds the RDS route name inside a listener HCM typed_config', () => {
    const info = decodeSotwResource(LISTENER, resourcesOf(decodeSotwResponse(sotw(LISTENER, 'v', 'n', [listenerBytes('l0', 'r9')])))[0]!);
    assert.equal(info.name, 'l0');
    assert.deepEqual(info.deps, ['r9']);
  });

  it('asks no EDS for a cluster that is not of type EDS', () => {
    const staticCluster = enc('envoy.config.cluster.v3.Cluster', { name: 's', type: 0 });
    const info = decodeSotwResource(CLUSTER, resourcesOf(decodeSotwResponse(sotw(CLUSTER, 'v', 'n', [staticCluster])))[0]!);
    assert.deepEqual(info.deps, []);
  });

  it('rejects a resource whose type differs from the response type', () => {
    const r = decodeSotwResponse(sotw(CLUSTER, 'v', 'n', [clusterBytes('a')]));
    assert.throws(() => decodeSotwResource(ENDPOINT, resourcesOf(r)[0]!), /resource type/);
  });

  it('reads delta resources with names, versions and removals', () => {
    const r = decodeDeltaResponse(delta(ENDPOINT, 'n1', [['c0', 'h1', loadAssignmentBytes('c0')]], ['gone']));
    assert.equal(r.nonce, 'n1');
    assert.deepEqual(removedOf(r), ['gone']);
    const info = decodeDeltaResource(ENDPOINT, resourcesOf(r)[0]!);
    assert.equal(info.name, 'c0');
    assert.equal(info.version, 'h1');
  });

  it('finds every latency stamp in resource bytes, once per round', () => {
    const body = Buffer.concat([loadAssignmentBytes('a', formatStamp(3, 1_700_000_000_123_456)), loadAssignmentBytes('b', 'stamp-4-99'), loadAssignmentBytes('c', 'stamp-3-5')]);
    assert.deepEqual(findStamps(body), [
      { round: 3, atMicros: 1_700_000_000_123_456 },
      { round: 4, atMicros: 99 },
    ]);
    assert.deepEqual(findStamps(Buffer.from('no stamp-here stamp-x-1 stamp-1-')), []);
  });

  it('encodes requests that protobufjs reads back field for field', () => {
    const sotwReq = t('envoy.service.discovery.v3.DiscoveryRequest').toObject(
      t('envoy.service.discovery.v3.DiscoveryRequest').decode(
        encodeSotwRequest({ typeUrl: ENDPOINT, versionInfo: 'v1', resourceNames: new NameSetPool().of(['b', 'a']).sotwField, nonce: 'n2', errorDetail: encodeStatus(13, 'bad') }),
      ),
    );
    assert.deepEqual(sotwReq, { typeUrl: ENDPOINT, versionInfo: 'v1', resourceNames: ['a', 'b'], responseNonce: 'n2', errorDetail: { code: 13, message: 'bad' } });
    const deltaReq = t('envoy.service.discovery.v3.DeltaDiscoveryRequest').toObject(
      t('envoy.service.discovery.v3.DeltaDiscoveryRequest').decode(
        encodeDeltaRequest({
          typeUrl: ENDPOINT,
          initialVersions: encodeInitialVersions([
            ['a', '1'],
            ['b', '2'],
          ]),
          nonce: 'n',
        }),
      ),
    );
    assert.deepEqual(deltaReq, { typeUrl: ENDPOINT, initialResourceVersions: { a: '1', b: '2' }, responseNonce: 'n' });
  });
});

describe('loadgen shared state graph', () => {
  it('decodes identical content once and moves every node to the same state object', () => {
    const g = new TypeGraph(CLUSTER, true, new NameSetPool());
    const t1 = g.applySotw(g.initial, decodeSotwResponse(sotw(CLUSTER, 'v1', 'n1', [clusterBytes('a'), clusterBytes('b')])));
    const t2 = g.applySotw(g.initial, decodeSotwResponse(sotw(CLUSTER, 'v1', 'n9', [clusterBytes('a'), clusterBytes('b')])));
    assert.equal(t1.next, t2.next);
    assert.equal(g.decodes, 1);
    assert.deepEqual(t1.next.deps.names, ['a', 'b']);
  });

  it('treats an omitted cluster as deleted in a full-state SotW response', () => {
    const g = new TypeGraph(CLUSTER, true, new NameSetPool());
    const s1 = g.applySotw(g.initial, decodeSotwResponse(sotw(CLUSTER, 'v1', 'n1', [clusterBytes('a'), clusterBytes('b')]))).next;
    const s2 = g.applySotw(s1, decodeSotwResponse(sotw(CLUSTER, 'v2', 'n2', [clusterBytes('a')]))).next;
    assert.deepEqual([...s2.held.keys()], ['a']);
    assert.deepEqual(s2.deps.names, ['a']);
  });

  it('keeps unmentioned resources of a non-full-state SotW type', () => {
    const g = new TypeGraph(ENDPOINT, false, new NameSetPool());
    const s1 = g.applySotw(g.initial, decodeSotwResponse(sotw(ENDPOINT, 'v1', 'n1', [loadAssignmentBytes('a'), loadAssignmentBytes('b')]))).next;
    const s2 = g.applySotw(s1, decodeSotwResponse(sotw(ENDPOINT, 'v2', 'n2', [loadAssignmentBytes('a', 'stamp-1-5')])));
    assert.deepEqual([...s2.next.held.keys()].sort(), ['a', 'b']);
    assert.deepEqual(s2.stamps, [{ round: 1, atMicros: 5 }]);
  });

  it('marks removed delta resources as known-absent and leaves them out of initial_resource_versions', () => {
    const names = new NameSetPool();
    const g = new TypeGraph(ENDPOINT, false, names);
    const s1 = g.applyDelta(g.initial, decodeDeltaResponse(delta(ENDPOINT, 'n1', [['a', 'va', loadAssignmentBytes('a')]], ['ghost']))).next;
    assert.equal(s1.covers(names.of(['a', 'ghost'])), true);
    assert.equal(s1.covers(names.of(['a', 'other'])), false);
    const irv = t('envoy.service.discovery.v3.DeltaDiscoveryRequest').toObject(
      t('envoy.service.discovery.v3.DeltaDiscoveryRequest').decode(encodeDeltaRequest({ typeUrl: ENDPOINT, initialVersions: s1.initialVersions(null) })),
    );
    assert.deepEqual(irv['initialResourceVersions'], { a: 'va' });
  });

  it('turns a response naming one resource twice into a NACK', () => {
    const g = new TypeGraph(CLUSTER, true, new NameSetPool());
    const tr = g.applySotw(g.initial, decodeSotwResponse(sotw(CLUSTER, 'v1', 'n1', [clusterBytes('a'), clusterBytes('a')])));
    assert.match(tr.error ?? '', /duplicate/);
    assert.equal(tr.next, g.initial);
  });

  it('drops unsubscribed names from what a delta node holds', () => {
    const names = new NameSetPool();
    const g = new TypeGraph(ENDPOINT, false, names);
    const s1 = g.applyDelta(
      g.initial,
      decodeDeltaResponse(
        delta(ENDPOINT, 'n1', [
          ['a', '1', loadAssignmentBytes('a')],
          ['b', '1', loadAssignmentBytes('b')],
        ]),
      ),
    ).next;
    const s2 = g.retain(s1, names.of(['b']));
    assert.deepEqual([...s2.held.keys()], ['b']);
    assert.equal(g.retain(s1, names.of(['b'])), s2);
  });

  it('diffs interned name sets into subscribe and unsubscribe lists', () => {
    const names = new NameSetPool();
    const a = names.of(['x', 'y']);
    assert.equal(names.of(['y', 'x', 'x']), a);
    const d = a.diffTo(names.of(['y', 'z']));
    assert.deepEqual([d.added, d.removed], [['z'], ['x']]);
  });
});

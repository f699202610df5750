/**
 * @module test/unit/transport/csds-access.test
 * Who may use CSDS when no identities are configured: loopback callers only,
 * judged from the peer string grpc-js gives (`address:port`, IPv6 without
 * brackets). Tests on this machine can only connect from loopback, so the
 * remote refusal is checked here, on the decision itself; the fault tests
 * cover the identity rules over real mTLS.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { csdsAccess, isLoopbackPeer } from '../../../src/transport/csds-access';

test('loopback peers are 127.0.0.0/8, ::1 and IPv4-mapped 127.x, with or without a port', () => {
  for (const peer of ['127.0.0.1:50051', '127.3.4.5:1', '::1:50051', '[::1]:50051', '::ffff:127.0.0.1:50051', '0:0:0:0:0:ffff:127.0.0.1:9', '127.0.0.1']) {
    assert.equal(isLoopbackPeer(peer), true, peer);
  }
  for (const peer of ['10.0.0.5:50051', '192.168.1.2:80', '::ffff:10.0.0.5:50051', '2001:db8::1:443', 'fe80::1:22', 'unknown', '', 'localhost:50051', '128.0.0.1:1']) {
    assert.equal(isLoopbackPeer(peer), false, peer);
  }
});

/** A call as far as the access decision reads it; peers other than loopback cannot be produced on this machine. */
function caller(peer: string): { getPeer(): string; getAuthContext(): Record<string, never> } {
  return { getPeer: () => peer, getAuthContext: () => ({}) };
}

test('without identities a remote caller is refused with the flags that would allow it, unless --csds-allow-remote', () => {
  const local = csdsAccess({});
  const refused = local(caller('10.1.2.3:40000'));
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.message, /--csds-allow-remote/);
  assert.match(refused.ok ? '' : refused.message, /--csds-admin-san-regex/);
  assert.deepEqual(local(caller('127.0.0.1:40000')), { ok: true, nodeId: undefined, who: 'peer 127.0.0.1:40000' });
  const open = csdsAccess({ allowRemote: true });
  assert.equal(open(caller('10.1.2.3:40000')).ok, true);
});

test('with identities configured, loopback grants nothing: a caller without a certificate is refused', () => {
  const access = csdsAccess({ nodeIdSanPattern: '^spiffe://x/node/(.+)$', allowRemote: true });
  assert.equal(access(caller('127.0.0.1:40000')).ok, false);
});

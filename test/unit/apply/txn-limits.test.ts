import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { commit, commitSize, connectEtcd, readSnapshot } from '../../../src/apply/etcd-kv';
import { ETCD_DEFAULT_MAX_REQUEST_BYTES, ETCD_DEFAULT_MAX_TXN_OPS, fits, isEtcdTxnLimitError, limitMessage, txnSize } from '../../../src/apply/txn-limits';
import type { TxnOp } from '../../../src/apply/txn-limits';
import { etcdLayout } from '../../../src/source/etcd-keys';
import { EtcdTxnLimitError } from '../../../src/errors';
import { TestEtcd } from '../../helpers/etcd';

const DEFAULTS = { maxTxnOps: ETCD_DEFAULT_MAX_TXN_OPS, maxRequestBytes: ETCD_DEFAULT_MAX_REQUEST_BYTES };
let etcd: TestEtcd;

before(async () => {
  etcd = await TestEtcd.start({ limits: 'etcd-defaults' });
});
after(async () => {
  await etcd.destroy();
});

test('etcd counts the larger of compares and operations; each put costs its key, value and framing', () => {
  const one = txnSize([10, 10, 10], [{ put: 'put', key: 'k', value: 'v' }]);
  assert.equal(one.ops, 3, 'three compares weigh more than one put');
  const many = txnSize(
    [10],
    Array.from({ length: 200 }, (_, i): TxnOp => ({ delete: true, key: `k${i}` })),
  );
  assert.equal(many.ops, 200);
  assert.ok(!fits(many, DEFAULTS));
  const big = txnSize([], [{ put: 'put', key: 'k', value: 'x'.repeat(1000) }]);
  assert.ok(big.bytes > 1000 && big.bytes < 1400);
});

test('a transaction whose estimate is exactly etcd’s byte limit is accepted by a real etcd (the estimate never undercounts)', async () => {
  const layout = etcdLayout('/size/');
  const client = connectEtcd({ endpoints: [etcd.endpoint] });
  try {
    const snapshot = await readSnapshot(client, layout, [etcd.endpoint]);
    const key = `${layout.resources}default/envoy.service.runtime.v3.Runtime/big`;
    const record = '{}';
    const sized = (n: number): TxnOp[] => [{ put: 'put', key, value: 'x'.repeat(n) }];
    let n = ETCD_DEFAULT_MAX_REQUEST_BYTES - 1000;
    while (commitSize(layout, snapshot, sized(n + 1), record).bytes <= ETCD_DEFAULT_MAX_REQUEST_BYTES) n++;
    assert.equal(commitSize(layout, snapshot, sized(n), record).bytes <= ETCD_DEFAULT_MAX_REQUEST_BYTES, true);
    assert.ok(!fits(commitSize(layout, snapshot, sized(n + 1), record), DEFAULTS));
    const revision = await commit(client, layout, snapshot, sized(n), record, DEFAULTS, [etcd.endpoint]);
    assert.equal(revision, snapshot.revision + 1);
  } finally {
    client.close();
  }
});

test('etcd’s own refusal of a transaction becomes the limit error that names both etcd and apply flags', async () => {
  const layout = etcdLayout('/refused/');
  const client = connectEtcd({ endpoints: [etcd.endpoint] });
  try {
    const snapshot = await readSnapshot(client, layout, [etcd.endpoint]);
    const ops = Array.from({ length: 200 }, (_, i): TxnOp => ({ put: 'put', key: `${layout.resources}k${i}`, value: 'v' }));
    const generous = { maxTxnOps: 100_000, maxRequestBytes: 64 * 1024 * 1024 };
    await assert.rejects(commit(client, layout, snapshot, ops, '{}', generous, [etcd.endpoint]), (err: unknown) => {
      assert.ok(err instanceof EtcdTxnLimitError);
      assert.ok(isEtcdTxnLimitError(new Error('3 INVALID_ARGUMENT: etcdserver: too many operations in txn request')));
      assert.match(err.message, /etcd refused it \(etcdserver: too many operations in txn request\): etcd runs with lower limits than the 100000 operations/);
      assert.match(err.message, /Start etcd with --max-txn-ops 100000 --max-request-bytes 67108864 and pass the same values to apply \(--etcd-max-txn-ops 100000 --etcd-max-request-bytes 67108864\)/);
      return true;
    });
  } finally {
    client.close();
  }
});

test('the refusal suggests limits with room to grow and says nothing was written', () => {
  const message = limitMessage({ ops: 2021, bytes: 1_045_223 }, DEFAULTS);
  assert.match(message, /one etcd transaction of 2021 operations and about 1045223 bytes/);
  assert.match(message, /the limits are 128 operations \(--etcd-max-txn-ops\) and 1572864 bytes/);
  assert.match(message, /Nothing was written\. Start etcd with --max-txn-ops 5000 --max-request-bytes 2097152/);
});

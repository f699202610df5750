/**
 * @module test/helpers/etcd
 * A real etcd for tests: the launcher the bench uses (bench/etcd-launcher,
 * one member on loopback with a throwaway data directory; TLS and
 * transaction limits optional; stop/resume keep the data), under the name
 * tests know it by, plus a one-transaction write helper.
 */
import type { Etcd3, IRequestOp } from 'etcd3';
import { EtcdProcess } from '../../bench/etcd-launcher';

export { EtcdProcess as TestEtcd };

/** Keys to write and delete in one etcd transaction (one revision). */
export interface EtcdWrite {
  readonly put?: Readonly<Record<string, string>>;
  readonly del?: readonly string[];
}

/** Write `change` as one transaction; resolves to its revision. */
export async function etcdTxn(client: Etcd3, change: EtcdWrite): Promise<number> {
  const success: IRequestOp[] = [];
  for (const [key, value] of Object.entries(change.put ?? {})) success.push({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } });
  for (const key of change.del ?? []) success.push({ request_delete_range: { key: Buffer.from(key) } });
  const res = await client.kv.txn({ compare: [], success, failure: [] });
  return Number(res.header.revision);
}

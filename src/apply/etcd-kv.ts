/**
 * @module apply/etcd-kv
 * The two etcd calls an apply makes, through the `etcd3` client's raw KV
 * RPCs: read every configuration key at one revision R (in pages, all at R),
 * and commit one transaction guarded so that it succeeds only if no
 * configuration key was written after R and no other apply committed after
 * R (its `status/last-apply` key: a range compare cannot see a deleted key,
 * this one can). Configuration is every key under the prefix except
 * `status/` (which replicas rewrite all the time), as the replicas read it.
 */
import type { Etcd3, ICompare, IRequestOp, Range } from 'etcd3';
import { EtcdConflictError, EtcdTxnLimitError, EtcdUnavailableError } from '../errors';
import type { EtcdLayout } from '../source/etcd-keys';
import { etcdCredentialOptions } from '../source/etcd-client';
import type { EtcdConnectionOptions } from '../source/etcd-client';
import { compareSize, isEtcdTxnLimitError, limitMessage, txnSize } from './txn-limits';
import type { TxnLimits, TxnOp, TxnSize } from './txn-limits';

export { EtcdConflictError, EtcdTxnLimitError, EtcdUnavailableError };

/** Keys read per range request; all pages read at the same revision. */
export const READ_PAGE_KEYS = 1000;

/** Largest etcd response the client accepts, in bytes (grpc-js's default of 4 MiB is less than one page of large resources). */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** How long to wait for a connection to etcd before failing, in ms. */
export const ETCD_DIAL_TIMEOUT_MS = 5_000;

/** Deadline of one etcd call, in ms. */
export const ETCD_CALL_TIMEOUT_MS = 30_000;

/** Where to connect: endpoints, TLS and auth as the replicas take them, and a dial timeout. */
export interface EtcdConnection extends EtcdConnectionOptions {
  readonly dialTimeoutMs?: number;
}

/** Every configuration key and value at one revision. */
export interface Snapshot {
  readonly revision: number;
  readonly kvs: ReadonlyMap<string, Buffer>;
  /** mod_revision of `last-apply` at `revision` (0 when absent). */
  readonly lastApplyModRevision: number;
}

/**
 * etcd3 loads its gRPC protos when required (about half a second): load it
 * only when an etcd command runs, never for a server that only reads files.
 */
function etcd3(): typeof import('etcd3') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, on purpose
  return require('etcd3') as typeof import('etcd3');
}

/** A client with the options an apply needs (larger responses, a dial timeout, call deadlines). */
export function connectEtcd(conn: EtcdConnection): Etcd3 {
  return new (etcd3().Etcd3)({
    hosts: [...conn.endpoints],
    dialTimeout: conn.dialTimeoutMs ?? ETCD_DIAL_TIMEOUT_MS,
    grpcOptions: { 'grpc.max_receive_message_length': MAX_RESPONSE_BYTES },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS }),
    ...etcdCredentialOptions(conn),
  });
}

/** The configuration: everything under the prefix but `status/`, as two key ranges. */
export function configRanges(layout: EtcdLayout): Range[] {
  const { Range: KeyRange } = etcd3();
  const all = KeyRange.prefix(layout.prefix);
  const status = KeyRange.prefix(layout.status);
  return [new KeyRange(all.start, status.start), new KeyRange(status.end, all.end)];
}

/** Read every configuration key (and `status/last-apply`) at one revision. */
export async function readSnapshot(client: Etcd3, layout: EtcdLayout, endpoints: readonly string[]): Promise<Snapshot> {
  try {
    const kvs = new Map<string, Buffer>();
    const first = await client.kv.range({ key: Buffer.from(layout.lastApply) });
    const revision = Number(first.header.revision);
    const lastApplyModRevision = first.kvs[0] ? Number(first.kvs[0].mod_revision) : 0;
    for (const range of configRanges(layout)) {
      let start = range.start;
      for (;;) {
        const page = await client.kv.range({ key: start, range_end: range.end, revision, limit: READ_PAGE_KEYS });
        for (const kv of page.kvs) kvs.set(kv.key.toString('utf8'), kv.value);
        const last = page.kvs[page.kvs.length - 1];
        if (!page.more || !last) break;
        start = Buffer.concat([last.key, Buffer.from([0])]);
      }
    }
    return { revision, kvs, lastApplyModRevision };
  } catch (err) {
    throw new EtcdUnavailableError(endpoints, err);
  }
}

/** The guard: no configuration key written after R, `status/last-apply` as it was at R. */
function guard(layout: EtcdLayout, snapshot: Snapshot): { compares: ICompare[]; sizes: number[] } {
  const compares: ICompare[] = [];
  const sizes: number[] = [];
  for (const range of configRanges(layout)) {
    compares.push({ key: range.start, range_end: range.end, target: 'Mod', result: 'Less', mod_revision: snapshot.revision + 1 });
    sizes.push(compareSize(range.start.length, range.end.length, snapshot.revision + 1));
  }
  compares.push({ key: Buffer.from(layout.lastApply), target: 'Mod', result: 'Equal', mod_revision: snapshot.lastApplyModRevision });
  sizes.push(compareSize(Buffer.byteLength(layout.lastApply), 0, snapshot.lastApplyModRevision));
  return { compares, sizes };
}

/** What a commit of `ops` (plus the `last-apply` put) needs. */
export function commitSize(layout: EtcdLayout, snapshot: Snapshot, ops: readonly TxnOp[], lastApplyValue: string): TxnSize {
  return txnSize(guard(layout, snapshot).sizes, [...ops, { put: 'put', key: layout.lastApply, value: lastApplyValue }]);
}

/**
 * Commit `ops` and the `last-apply` record in one transaction guarded by the
 * snapshot. Resolves with the new revision; throws EtcdConflictError,
 * EtcdTxnLimitError (etcd's own refusal) or EtcdUnavailableError.
 */
export async function commit(client: Etcd3, layout: EtcdLayout, snapshot: Snapshot, ops: readonly TxnOp[], lastApplyValue: string, limits: TxnLimits, endpoints: readonly string[]): Promise<number> {
  const { compares } = guard(layout, snapshot);
  const success: IRequestOp[] = ops.map((op) => ('put' in op ? { request_put: { key: Buffer.from(op.key), value: Buffer.from(op.value) } } : { request_delete_range: { key: Buffer.from(op.key) } }));
  success.push({ request_put: { key: Buffer.from(layout.lastApply), value: Buffer.from(lastApplyValue) } });
  let response;
  try {
    response = await client.kv.txn({ compare: compares, success, failure: [] });
  } catch (err) {
    if (isEtcdTxnLimitError(err)) {
      const etcdSaid = (err as Error).message.replace(/^\d+ [A-Z_]+: /, '');
      const need = commitSize(layout, snapshot, ops, lastApplyValue);
      throw new EtcdTxnLimitError(limitMessage(need, limits, etcdSaid), need);
    }
    throw new EtcdUnavailableError(endpoints, err);
  }
  const revision = Number(response.header.revision);
  if (!response.succeeded) throw new EtcdConflictError(snapshot.revision, revision);
  return revision;
}

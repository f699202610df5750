/**
 * @module apply/txn-limits
 * An apply is ONE etcd transaction, so every replica sees a whole apply at
 * one revision or nothing of it. etcd caps a transaction by its operation
 * count (`--max-txn-ops`, default 128) and its request size
 * (`--max-request-bytes`, default 1.5 MiB); a 1000-cluster mesh is over 2000
 * keys. Rather than split an apply (and let a replica serve half of it), the
 * apply counts what it needs before writing and refuses with the etcd flags
 * to raise; etcd's own refusal (if the limits passed to apply are higher
 * than etcd's) gets the same message.
 */

/** etcd's default `--max-txn-ops`. */
export const ETCD_DEFAULT_MAX_TXN_OPS = 128;

/** etcd's default `--max-request-bytes`: 1.5 MiB. */
export const ETCD_DEFAULT_MAX_REQUEST_BYTES = 1_572_864;

/**
 * Bytes etcd adds around a transaction before checking `--max-request-bytes`
 * (its internal raft request header: request id, user, auth revision), with room to spare.
 */
export const RAFT_HEADER_MARGIN_BYTES = 256;

/** The limits of the etcd an apply writes to. */
export interface TxnLimits {
  readonly maxTxnOps: number;
  readonly maxRequestBytes: number;
}

/** What one transaction needs. */
export interface TxnSize {
  /** etcd counts max(compares, success ops, failure ops) against `--max-txn-ops`. */
  readonly ops: number;
  /** Protobuf size of the TxnRequest plus RAFT_HEADER_MARGIN_BYTES. */
  readonly bytes: number;
}

/** A put or delete of one key, as the transaction carries it. */
export type TxnOp = { readonly put: string; readonly key: string; readonly value: string } | { readonly delete: true; readonly key: string };

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** A length-delimited field with a one-byte tag. */
function fieldSize(payload: number): number {
  return 1 + varintSize(payload) + payload;
}

/** Size of one compare on a key range with a mod_revision (tag, target, result, key, range_end, revision). */
export function compareSize(keyBytes: number, rangeEndBytes: number, revision: number): number {
  // range_end is field 64: a two-byte tag.
  return 2 + 2 + fieldSize(keyBytes) + 2 + varintSize(rangeEndBytes) + rangeEndBytes + 1 + varintSize(revision);
}

/** What a transaction of `compares` (sizes) and `ops` needs. */
export function txnSize(compareSizes: readonly number[], ops: readonly TxnOp[]): TxnSize {
  let bytes = RAFT_HEADER_MARGIN_BYTES;
  for (const c of compareSizes) bytes += fieldSize(c);
  for (const op of ops) {
    const key = Buffer.byteLength(op.key);
    const request = 'put' in op ? fieldSize(key) + fieldSize(Buffer.byteLength(op.value)) : fieldSize(key);
    bytes += fieldSize(fieldSize(request)); // TxnRequest.success → RequestOp.request_put|request_delete_range → request
  }
  return { ops: Math.max(compareSizes.length, ops.length), bytes };
}

/** Round up to a value worth typing on a command line. */
function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}

/**
 * The refusal: what the apply needs, what is allowed, and which etcd and
 * apply flags to raise. `etcdSaid` is etcd's own error when etcd refused a
 * transaction the apply's limits allowed (etcd runs with lower limits).
 */
export function limitMessage(need: TxnSize, limits: TxnLimits, etcdSaid?: string): string {
  const suggestOps = Math.max(limits.maxTxnOps, roundUp(need.ops * 2, 1000));
  const suggestBytes = Math.max(limits.maxRequestBytes, roundUp(need.bytes * 2, 1024 * 1024));
  const what = `this apply is one etcd transaction of ${need.ops} operations and about ${need.bytes} bytes`;
  const why =
    etcdSaid !== undefined
      ? `etcd refused it (${etcdSaid}): etcd runs with lower limits than the ${limits.maxTxnOps} operations and ${limits.maxRequestBytes} bytes given to apply`
      : `the limits are ${limits.maxTxnOps} operations (--etcd-max-txn-ops) and ${limits.maxRequestBytes} bytes (--etcd-max-request-bytes), etcd's defaults unless raised`;
  return (
    `${what}; ${why}. Nothing was written. Start etcd with --max-txn-ops ${suggestOps} --max-request-bytes ${suggestBytes} ` +
    `and pass the same values to apply (--etcd-max-txn-ops ${suggestOps} --etcd-max-request-bytes ${suggestBytes}); ` +
    `an apply is never split, so that no replica serves half of it`
  );
}

/** Whether the transaction fits. */
export function fits(need: TxnSize, limits: TxnLimits): boolean {
  return need.ops <= limits.maxTxnOps && need.bytes <= limits.maxRequestBytes;
}

/** Whether an etcd error is its refusal of a transaction's size or operation count. */
export function isEtcdTxnLimitError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /too many operations in txn request|request is too large|received message larger than max/i.test(message);
}

/**
 * @module cli/etcd-flags
 * What `apply`, `get`, `delete` and `status` share: the etcd flags (how to
 * reach etcd, from ./etcd-connection-flags, plus the writers' transaction
 * limits), their help text, and integer parsing.
 */
import { DEFAULT_ETCD_PREFIX } from '../source/etcd-keys';
import { ETCD_DEFAULT_MAX_REQUEST_BYTES, ETCD_DEFAULT_MAX_TXN_OPS } from '../apply';
import type { EtcdTarget } from '../apply';
import { UsageError } from './usage';
import { ETCD_CONNECTION_OPTIONS, ETCD_SECURITY_HELP, readEtcdConnection } from './etcd-connection-flags';

/** etcd's own default client URL. */
export const DEFAULT_ETCD_ENDPOINT = 'http://127.0.0.1:2379';

/** parseArgs options for the etcd flags. */
export const ETCD_OPTIONS = {
  ...ETCD_CONNECTION_OPTIONS,
  'etcd-max-txn-ops': { type: 'string' },
  'etcd-max-request-bytes': { type: 'string' },
} as const;

/** Help lines for reaching etcd (every command but serve, which writes its own). */
export const ETCD_CONNECTION_HELP = `  --etcd-endpoints URLS         etcd client URLs, comma-separated (default ${DEFAULT_ETCD_ENDPOINT})
  --etcd-prefix PREFIX          key prefix the replicas read (default ${DEFAULT_ETCD_PREFIX})
${ETCD_SECURITY_HELP}`;

/** Help lines for the etcd flags of the writers (`apply`, `get`, `delete`). */
export const ETCD_HELP = `${ETCD_CONNECTION_HELP}  --etcd-max-txn-ops N          the target etcd's --max-txn-ops (default ${ETCD_DEFAULT_MAX_TXN_OPS}, etcd's default)
  --etcd-max-request-bytes N    the target etcd's --max-request-bytes (default ${ETCD_DEFAULT_MAX_REQUEST_BYTES}, etcd's default)
`;

/** A positive integer flag, or undefined when absent. */
export function positiveInt(value: string | undefined, name: string, help: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got "${value}"`, help);
  return n;
}

/** The etcd target from parsed flag values. */
export function etcdTarget(values: Partial<Record<keyof typeof ETCD_OPTIONS, string>>, help: string): EtcdTarget & { readonly prefix: string } {
  return {
    ...(readEtcdConnection(values, help, DEFAULT_ETCD_ENDPOINT) as NonNullable<ReturnType<typeof readEtcdConnection>>),
    maxTxnOps: positiveInt(values['etcd-max-txn-ops'], 'etcd-max-txn-ops', help),
    maxRequestBytes: positiveInt(values['etcd-max-request-bytes'], 'etcd-max-request-bytes', help),
  };
}

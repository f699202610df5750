/**
 * @module server-options
 * Checks of XdsServerOptions that need no resource: run before the server
 * starts anything (worker threads, sockets, etcd clients), so a bad option
 * is a thrown XdsServerError that leaves nothing behind.
 */
import { XdsServerError } from './errors';
import type { CsdsOptions, XdsServerOptions } from './api-types';

/** Throws XDS_ERR_OPTIONS naming the first option that cannot work, with what to do. */
export function validateServerOptions(options: XdsServerOptions): void {
  const csdsProblem = csdsOptionsProblem(options.csds, options.tls?.clientCa !== undefined);
  if (csdsProblem) throw new XdsServerError('XDS_ERR_OPTIONS', csdsProblem);
  if (options.etcd !== undefined && options.configPath !== undefined) {
    throw new XdsServerError('XDS_ERR_OPTIONS', 'configPath (--config) and etcd (--etcd-endpoints) are exclusive: the configuration comes from one source');
  }
  if (options.nodeIdSanPattern !== undefined && !options.tls?.clientCa) {
    throw new XdsServerError('XDS_ERR_OPTIONS', 'nodeIdSanPattern (--node-id-san-regex) needs mTLS: give tls.clientCa (--client-ca) too');
  }
  if (options.replicaStatus !== undefined && options.etcd === undefined) {
    throw new XdsServerError('XDS_ERR_OPTIONS', 'replicaStatus (--replica-name, --status-lease-ttl) needs etcd (--etcd-endpoints): the status is published there');
  }
}

/** The `--csds-*` flag of each numeric option, for messages. */
const CSDS_FLAG_OF = { maxResponseBytes: 'max-response-bytes', requestsPerSecond: 'request-rate', maxConcurrent: 'max-concurrent' } as const;

/** What is wrong with the CSDS options, or undefined. */
function csdsOptionsProblem(options: CsdsOptions | undefined, mutualTls: boolean): string | undefined {
  if (options?.adminSanPattern !== undefined && !mutualTls) return 'csds.adminSanPattern (--csds-admin-san-regex) needs mTLS: give tls.clientCa (--client-ca) too';
  for (const key of ['maxResponseBytes', 'requestsPerSecond', 'maxConcurrent'] as const) {
    const value = options?.[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) return `csds.${key} (--csds-${CSDS_FLAG_OF[key]}) must be a positive integer, got ${value}`;
  }
  return undefined;
}

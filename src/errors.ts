/**
 * @module errors
 * The few errors the server throws at its boundaries, each with a stable code.
 * Inside, validation returns results; a NACK or a bad request becomes stream
 * state or a gRPC status, never a crash.
 */

/** A problem in user config, naming the file, the resource and the field. */
export interface ConfigProblem {
  readonly file: string;
  readonly resource?: string;
  readonly field?: string;
  readonly message: string;
}

/** Render a problem the way every error message and log line shows it. */
export function formatProblem(p: ConfigProblem): string {
  const where = [p.file, p.resource, p.field].filter((s) => s !== undefined && s !== '').join(': ');
  return `${where}: ${p.message}`;
}

/** Base class: a stable `code` plus a message that says what to do. */
export class XdsServerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XdsServerError';
    this.code = code;
  }
}

/** A configuration was rejected; `problems` name file, resource and field. */
export class ConfigInvalidError extends XdsServerError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super('XDS_ERR_CONFIG_INVALID', `configuration rejected (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.map(formatProblem).join('\n  ')}`);
    this.problems = problems;
  }
}

/** The gRPC port could not be bound. */
export class BindError extends XdsServerError {
  constructor(address: string, cause: unknown) {
    super('XDS_ERR_BIND', `cannot listen on ${address}: ${(cause as Error)?.message ?? String(cause)}; choose another --port or stop what holds it`, { cause });
  }
}

/** etcd unreachable or failing (`apply`, `get`, `delete`): what was tried and what to check. */
export class EtcdUnavailableError extends XdsServerError {
  constructor(endpoints: readonly string[], cause: unknown) {
    super('XDS_ERR_ETCD_UNAVAILABLE', `etcd at ${endpoints.join(', ')} failed: ${(cause as Error)?.message ?? String(cause)}; check --etcd-endpoints and that etcd is running`, { cause });
  }
}

/** Another writer changed the configuration in etcd between an apply's read and its commit; nothing was written. */
export class EtcdConflictError extends XdsServerError {
  readonly readRevision: number;
  readonly currentRevision: number;
  constructor(readRevision: number, currentRevision: number) {
    super('XDS_ERR_ETCD_CONFLICT', `the configuration in etcd changed while apply was running (revision ${readRevision} → ${currentRevision}); nothing was written; run apply again`);
    this.readRevision = readRevision;
    this.currentRevision = currentRevision;
  }
}

/** An apply's one transaction is over etcd's limits (operations or bytes); nothing was written. The message names the flags to raise. */
export class EtcdTxnLimitError extends XdsServerError {
  readonly ops: number;
  readonly bytes: number;
  constructor(message: string, need: { readonly ops: number; readonly bytes: number }) {
    super('XDS_ERR_ETCD_TXN_LIMIT', message);
    this.ops = need.ops;
    this.bytes = need.bytes;
  }
}

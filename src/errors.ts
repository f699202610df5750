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
  /**
   * Set when the file was refused as a whole by a limit or for not being a
   * config (`max_config_bytes`, `worker_heap_mb`, `not_regular_file`,
   * `no_document`, `not_a_config`, `no_config_files`); counted in `xds_config_refusals_total`.
   */
  readonly refusal?: string;
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

/** Problems listed in a ConfigInvalidError's message; all of them stay in `problems`. */
const MAX_PROBLEMS_IN_MESSAGE = 100;

/** A configuration was rejected; `problems` name file, resource and field. */
export class ConfigInvalidError extends XdsServerError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    const shown = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE).map(formatProblem);
    if (problems.length > MAX_PROBLEMS_IN_MESSAGE) shown.push(`… and ${problems.length - MAX_PROBLEMS_IN_MESSAGE} more`);
    super('XDS_ERR_CONFIG_INVALID', `configuration rejected (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${shown.join('\n  ')}`);
    this.problems = problems;
  }
}

/** The gRPC port (or, with `flag` --admin-port, the admin port) could not be bound. */
export class BindError extends XdsServerError {
  constructor(address: string, cause: unknown, flag: string = '--port') {
    super('XDS_ERR_BIND', `cannot listen on ${address}: ${(cause as Error)?.message ?? String(cause)}; choose another ${flag} or stop what holds it`, { cause });
  }
}

/**
 * Error codes of failures that pass on their own (descriptor or memory
 * pressure, a busy file): a reload that fails with one is retried with
 * backoff instead of leaving the new file unserved until the next edit.
 */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EWOULDBLOCK', 'EBUSY', 'EINTR', 'ETIMEDOUT', 'ENOMEM']);

/** Why a config path could not be read. */
export type ConfigReadReason = 'not_regular_file' | 'max_config_bytes' | 'no_config_files' | 'read_timeout' | 'io';

/** The config path could not be read; `transient` failures are retried, the others rejected. The message is `file: detail`. */
export class ConfigReadError extends XdsServerError {
  readonly file: string;
  readonly reason: ConfigReadReason;
  readonly transient: boolean;
  /** What went wrong and what to do, without the file name. */
  readonly detail: string;
  constructor(file: string, reason: ConfigReadReason, detail: string, options: { transient?: boolean; cause?: unknown } = {}) {
    super('XDS_ERR_CONFIG_READ', `${file}: ${detail}`, { cause: options.cause });
    this.file = file;
    this.reason = reason;
    this.detail = detail;
    this.transient = options.transient ?? false;
  }
}

/** The encode worker pool could not run a batch (a worker failed to start or died); retried like a transient read. */
export class EncodePoolError extends XdsServerError {
  readonly transient = true;
  constructor(message: string, cause?: unknown) {
    super('XDS_ERR_ENCODE_POOL', message, { cause });
  }
}

/** Whether `err` is worth retrying: a ConfigReadError or EncodePoolError marked transient, or a transient errno. */
export function isTransientError(err: unknown): boolean {
  if (err instanceof ConfigReadError || err instanceof EncodePoolError) return err.transient;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_ERROR_CODES.has(code);
}

/**
 * What to check for an etcd failure, by what the client reported: the
 * TLS handshake and auth failures each point at their own flag, since "is
 * etcd running" sends an operator the wrong way when etcd is up but refuses us.
 */
function etcdFailureHint(message: string): string {
  if (/unable to verify|self[- ]signed|certificate verify failed|unable to get (local )?issuer|certificate has expired|does not match certificate|ERR_TLS_CERT|altnames/i.test(message)) {
    return "etcd's certificate was not accepted: check --etcd-ca (the CA bundle that signed etcd's server certificate)";
  }
  if (/alert bad certificate|alert certificate required|alert unknown ca|SSL alert number (42|48|116)/i.test(message)) {
    return "etcd refused our client certificate: check --etcd-cert and --etcd-key (a certificate signed by a CA in etcd's --trusted-ca-file)";
  }
  if (/wrong version number|packet length too long/i.test(message)) {
    return 'check that --etcd-endpoints uses https:// exactly when etcd serves TLS';
  }
  if (/authentication failed|invalid auth token|user name (is )?empty|auth(entication)? is not enabled|permission denied/i.test(message)) {
    return "check --etcd-username and its password (--etcd-password-file or ETCD_PASSWORD), and the user's role on the prefix";
  }
  return 'check --etcd-endpoints and that etcd is running';
}

/** etcd unreachable or failing (`apply`, `get`, `delete`, `status`): what was tried and what to check. */
export class EtcdUnavailableError extends XdsServerError {
  constructor(endpoints: readonly string[], cause: unknown) {
    const message = (cause as Error)?.message ?? String(cause);
    super('XDS_ERR_ETCD_UNAVAILABLE', `etcd at ${endpoints.join(', ')} failed: ${message.trim()}; ${etcdFailureHint(message)}`, { cause });
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

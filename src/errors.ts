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

/**
 * @module source/raw-resource
 * What a config source hands to the encoder: resources as users wrote them
 * (proto3 JSON objects with their `@type`), plus where each came from so an
 * error can name the file and the resource.
 */

/** The node group every node belongs to unless a group's matcher claims it. */
export const DEFAULT_GROUP = '';

/** One resource as written, before validation and encoding. */
export interface RawResource {
  /** `type.googleapis.com/...`, from the resource's `@type`. */
  readonly typeUrl: string;
  /** The resource body without `@type`. */
  readonly body: Record<string, unknown>;
  /** File (or API caller label) it came from, for error messages. */
  readonly file: string;
  /** Where in that file, e.g. `resources[3]`. */
  readonly location: string;
  /** Node group that receives it; DEFAULT_GROUP means every node. */
  readonly group: string;
}

/**
 * Selects nodes for a group. Every given criterion must match:
 * `id` and `cluster` are regular expressions matched against the whole
 * value; `metadata` keys must equal the given strings in `node.metadata`.
 */
export interface NodeMatch {
  readonly id?: string;
  readonly cluster?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A named group of nodes with its own resources, layered over the default ones. */
export interface NodeGroupSpec {
  readonly name: string;
  readonly match: NodeMatch;
}

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

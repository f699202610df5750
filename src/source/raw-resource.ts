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

/**
 * A problem in user config, and how it is rendered. They live in the leaf
 * errors.ts (ConfigInvalidError carries them); re-exported here because every
 * source module speaks in them.
 */
export type { ConfigProblem } from '../errors';
export { formatProblem } from '../errors';

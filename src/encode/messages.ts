/**
 * @module encode/messages
 * The messages that cross between the event loop and the encode workers.
 * Encoded bytes come back packed in one ArrayBuffer that is moved, not copied.
 */
import type { ConfigProblem, NodeGroupSpec, RawResource } from '../source/raw-resource';

/** A config file's text to parse, validate and encode in a worker. */
export interface DocumentInput {
  readonly file: string;
  readonly text: string;
}

/** One unit of work for a worker: whole documents, raw resources, or both. */
export interface EncodeTask {
  readonly documents?: readonly DocumentInput[];
  readonly resources?: readonly RawResource[];
}

/** A dependency of one resource on another, used for dangling-reference checks and ordering. */
export interface Reference {
  readonly typeUrl: string;
  readonly name: string;
  /** JSON path of the field that names it, for error messages. */
  readonly field: string;
}

/** Metadata of one encoded resource; its bytes are ranges of the task's shared buffer. */
export interface EncodedMeta {
  readonly typeUrl: string;
  readonly name: string;
  readonly version: string;
  readonly group: string;
  readonly file: string;
  readonly location: string;
  readonly refs: readonly Reference[];
  /** Other names that resolve to this resource (VHDS: `route_config/domain`). */
  readonly aliases: readonly string[];
  /** DiscoveryResponse.resources entry (tag, length, Any). */
  readonly sotwOffset: number;
  readonly sotwLength: number;
  /** DeltaDiscoveryResponse.resources entry (tag, length, Resource{name, version, Any}). */
  readonly deltaOffset: number;
  readonly deltaLength: number;
}

/** What a worker returns for one task. */
export interface EncodeTaskResult {
  readonly metas: EncodedMeta[];
  readonly groups: NodeGroupSpec[];
  readonly problems: ConfigProblem[];
  /** All entry bytes, moved from the worker. */
  readonly data: ArrayBuffer;
  /** Resources actually converted and encoded (the rest came from the content cache). */
  readonly freshlyEncoded: number;
}

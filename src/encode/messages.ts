/**
 * @module encode/messages
 * The messages that cross between the event loop and the encode workers.
 * Encoded bytes come back packed in one ArrayBuffer that is moved, not copied.
 */
import type { ConfigProblem, NodeGroupSpec, RawResource } from '../source/raw-resource';
import type { ResourceText } from '../source/resource-text';
import type { EncodedResource } from './encoded-resource';

export type { Reference } from './encoded-resource';

/**
 * A config file to parse, validate and encode in a worker: its text, or its
 * UTF-8 bytes (decoded in the worker, so a large file's text never sits on
 * the event loop's heap; the bytes' ArrayBuffer is transferred, not copied).
 */
export type DocumentInput = { readonly file: string; readonly text: string } | { readonly file: string; readonly bytes: Uint8Array };

/** One unit of work for a worker: whole documents, raw resources, stored resource texts, or any mix. */
export interface EncodeTask {
  readonly documents?: readonly DocumentInput[];
  readonly resources?: readonly RawResource[];
  /** One resource each (etcd values), parsed and checked against their keys in the worker. */
  readonly texts?: readonly ResourceText[];
  /** Also return each resource's canonical JSON text (`EncodedResource.source`), for writers such as `fanout-xds apply`. */
  readonly withSource?: boolean;
}

/** Metadata of one encoded resource; its bytes are ranges of the task's shared buffer. */
export type EncodedMeta = Omit<EncodedResource, 'sotwEntry' | 'deltaEntry'> & {
  /** DiscoveryResponse.resources entry (tag, length, Any). */
  readonly sotwOffset: number;
  readonly sotwLength: number;
  /** DeltaDiscoveryResponse.resources entry (tag, length, Resource{name, version, Any}). */
  readonly deltaOffset: number;
  readonly deltaLength: number;
};

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

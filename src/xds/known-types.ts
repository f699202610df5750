/**
 * @module xds/known-types
 * The type URLs a client may ask for: `type.googleapis.com/` plus the full
 * name of a message in the proto root. Built once from the schema, so
 * checking a client's type URL never hands client text to protobufjs, whose
 * `lookup` caches every path it is asked about, misses included, in every
 * namespace it searches (a 1 MiB type URL would stay in memory for good).
 * The table also interns: each known URL is one string object however many
 * requests name it, and unknown URLs are never kept.
 */
import * as protobuf from 'protobufjs';
import { TYPE_URL_PREFIX } from './type-urls';

/** Known type URLs of one proto root. */
export class KnownTypeUrls {
  readonly #root: protobuf.Root;
  #urls: Map<string, string> | undefined;

  constructor(root: protobuf.Root) {
    this.#root = root;
  }

  /** The interned string for a known type URL, or undefined for an unknown one. */
  canonical(typeUrl: string): string | undefined {
    if (!typeUrl.startsWith(TYPE_URL_PREFIX)) return undefined;
    return (this.#urls ??= collect(this.#root)).get(typeUrl);
  }

  /** Whether a type URL names a message of the root. */
  has(typeUrl: string): boolean {
    return this.canonical(typeUrl) !== undefined;
  }
}

function collect(root: protobuf.Root): Map<string, string> {
  const urls = new Map<string, string>();
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) {
        const url = TYPE_URL_PREFIX + child.fullName.slice(1);
        urls.set(url, url);
      }
      if (child instanceof protobuf.Namespace) walk(child);
    }
  };
  walk(root);
  return urls;
}

const byRoot = new WeakMap<protobuf.Root, KnownTypeUrls>();

/** The table for `root`, built on first use (schema-derived, so one per root is shared). */
export function knownTypeUrls(root: protobuf.Root): KnownTypeUrls {
  let table = byRoot.get(root);
  if (!table) byRoot.set(root, (table = new KnownTypeUrls(root)));
  return table;
}

/**
 * @module loadgen/name-set
 * Immutable, interned sets of resource names. Thousands of simulated nodes
 * usually want the same EDS and RDS names, so each distinct list exists once
 * per worker, with its request encodings built once and shared. This is what
 * keeps a SotW ACK (which repeats every subscribed name) cheap per node.
 */
import { encodeRepeatedString } from './xds-encode';

/** DiscoveryRequest.resource_names field number. */
const SOTW_RESOURCE_NAMES_FIELD = 3;
/** DeltaDiscoveryRequest.resource_names_subscribe / _unsubscribe field numbers. */
const DELTA_SUBSCRIBE_FIELD = 3;
const DELTA_UNSUBSCRIBE_FIELD = 4;
/** Diffs remembered per set: nodes move between few distinct sets. */
const MAX_CACHED_DIFFS = 8;

/** Names added and removed between two sets, with their delta encodings. */
export interface NameDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** resource_names_subscribe entries for `added`. */
  readonly subscribe: Buffer;
  /** resource_names_unsubscribe entries for `removed`. */
  readonly unsubscribe: Buffer;
}

/** One interned, sorted set of names. Compare sets by identity. */
export class NameSet {
  readonly names: readonly string[];
  readonly #set: ReadonlySet<string>;
  #sotw: Buffer | undefined;
  #subscribe: Buffer | undefined;
  readonly #diffs = new Map<NameSet, NameDiff>();

  constructor(sortedNames: readonly string[]) {
    this.names = sortedNames;
    this.#set = new Set(sortedNames);
  }

  get size(): number {
    return this.names.length;
  }

  has(name: string): boolean {
    return this.#set.has(name);
  }

  /** `resource_names` entries of a SotW request for exactly these names. */
  get sotwField(): Buffer {
    this.#sotw ??= encodeRepeatedString(SOTW_RESOURCE_NAMES_FIELD, this.names);
    return this.#sotw;
  }

  /** `resource_names_subscribe` entries for all of these names (a delta reconnect). */
  get subscribeField(): Buffer {
    this.#subscribe ??= encodeRepeatedString(DELTA_SUBSCRIBE_FIELD, this.names);
    return this.#subscribe;
  }

  /** What changes going from this set to `next`. */
  diffTo(next: NameSet): NameDiff {
    let diff = this.#diffs.get(next);
    if (!diff) {
      const added = next.names.filter((n) => !this.#set.has(n));
      const removed = this.names.filter((n) => !next.has(n));
      diff = {
        added,
        removed,
        subscribe: encodeRepeatedString(DELTA_SUBSCRIBE_FIELD, added),
        unsubscribe: encodeRepeatedString(DELTA_UNSUBSCRIBE_FIELD, removed),
      };
      if (this.#diffs.size >= MAX_CACHED_DIFFS) this.#diffs.clear();
      this.#diffs.set(next, diff);
    }
    return diff;
  }
}

/** Interns name sets so equal sets are the same object (one per worker thread). */
export class NameSetPool {
  readonly #pool = new Map<string, NameSet>();
  readonly #maxSize: number;
  readonly empty = new NameSet([]);

  constructor(maxSize = 256) {
    this.#maxSize = maxSize;
  }

  /** The interned set holding `names` (any order, duplicates allowed). */
  of(names: Iterable<string>): NameSet {
    const sorted = [...new Set(names)].sort();
    if (sorted.length === 0) return this.empty;
    const key = sorted.join('\n');
    let set = this.#pool.get(key);
    if (set) {
      // Refresh its place in the insertion-ordered LRU.
      this.#pool.delete(key);
    } else {
      set = new NameSet(sorted);
      if (this.#pool.size >= this.#maxSize) {
        const oldest = this.#pool.keys().next().value as string;
        this.#pool.delete(oldest);
      }
    }
    this.#pool.set(key, set);
    return set;
  }
}

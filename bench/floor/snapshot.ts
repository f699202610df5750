/**
 * @module bench/floor/snapshot
 * What the floor serves: every resource of a config, by type, with one
 * response per type pre-built for each protocol variant (SotW: all the
 * type's resources; delta: all of them as Resource entries), and the
 * difference between two snapshots as ready-to-write change messages.
 *
 * The resource bytes come from our encoder (the documented exception: the
 * floor must send byte-identical resources), concatenated here by hand.
 * Node groups are ignored: every node gets every resource (a name defined
 * in several groups keeps its ungrouped definition, else its first).
 */
import { combinedVersion } from '../../src/encode';
import type { EncodedResource } from '../../src/encode';
import { CLUSTER, ENDPOINT, LISTENER, ROUTE } from '../../src/xds/type-urls';
import { stringField } from './wire';

/** SotW types whose every response must carry the whole set (docs/protocol.md B13). */
const FULL_STATE_IN_SOTW: ReadonlySet<string> = new Set([CLUSTER, LISTENER]);
/** Make before break across types (rule D26): clusters, endpoints, listeners, routes, then the rest by name. */
const SEND_ORDER: readonly string[] = [CLUSTER, ENDPOINT, LISTENER, ROUTE];

/** Field numbers of DiscoveryResponse and DeltaDiscoveryResponse. */
const SOTW_VERSION_INFO = 1;
const DELTA_SYSTEM_VERSION_INFO = 1;
const TYPE_URL = 4;
const NONCE = 5;
const DELTA_REMOVED_RESOURCES = 6;

export type FloorVariant = 'sotw' | 'delta';

/** One type's resources and its pre-built responses (without nonce). */
export interface TypeSnapshot {
  readonly typeUrl: string;
  readonly resources: ReadonlyMap<string, EncodedResource>;
  /** SotW `version_info`: a hash of every name and version of the type. */
  readonly version: string;
  readonly sotwBody: Buffer;
  readonly deltaBody: Buffer;
}

/** A change message for one type, complete with its own nonce, written as is to every stream. */
export interface TypeChange {
  readonly typeUrl: string;
  /** Absent when SotW has nothing to say (only removals of a non-full-state type). */
  readonly sotw: Buffer | undefined;
  readonly delta: Buffer;
  readonly changed: number;
  readonly removed: number;
}

/** `version_info`, resources, `type_url`: a DiscoveryResponse without nonce. */
function sotwBody(typeUrl: string, version: string, resources: Iterable<EncodedResource>): Buffer {
  const parts = [stringField(SOTW_VERSION_INFO, version)];
  for (const r of resources) parts.push(r.sotwEntry);
  parts.push(stringField(TYPE_URL, typeUrl));
  return Buffer.concat(parts);
}

/** `system_version_info`, resources, `type_url`, `removed_resources`: a DeltaDiscoveryResponse without nonce. */
function deltaBody(typeUrl: string, systemVersion: string, resources: Iterable<EncodedResource>, removed: readonly string[]): Buffer {
  const parts = [stringField(DELTA_SYSTEM_VERSION_INFO, systemVersion)];
  for (const r of resources) parts.push(r.deltaEntry);
  parts.push(stringField(TYPE_URL, typeUrl));
  for (const name of removed) parts.push(stringField(DELTA_REMOVED_RESOURCES, name));
  return Buffer.concat(parts);
}

/** A body plus its nonce: the complete message. */
export function withNonce(body: Buffer, nonce: string): Buffer {
  return Buffer.concat([body, stringField(NONCE, nonce)]);
}

function orderOf(typeUrl: string): number {
  const i = SEND_ORDER.indexOf(typeUrl);
  return i === -1 ? SEND_ORDER.length : i;
}

function compareTypes(a: string, b: string): number {
  return orderOf(a) - orderOf(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Every resource of one config, by type, with pre-built full responses. */
export class Snapshot {
  readonly revision: number;
  readonly #types = new Map<string, TypeSnapshot>();
  /** Empty responses for types the config does not have, built on first request. */
  readonly #empty = new Map<string, TypeSnapshot>();

  constructor(resources: readonly EncodedResource[], revision: number) {
    this.revision = revision;
    const byType = new Map<string, Map<string, EncodedResource>>();
    for (const r of resources) {
      let names = byType.get(r.typeUrl);
      if (!names) byType.set(r.typeUrl, (names = new Map()));
      if (r.group === '' || !names.has(r.name)) names.set(r.name, r);
    }
    for (const [typeUrl, names] of byType) this.#types.set(typeUrl, this.#build(typeUrl, names));
  }

  #build(typeUrl: string, names: ReadonlyMap<string, EncodedResource>): TypeSnapshot {
    const version = combinedVersion([...names.values()].map((r) => `${r.name}=${r.version}`).sort());
    return {
      typeUrl,
      resources: names,
      version,
      sotwBody: sotwBody(typeUrl, version, names.values()),
      deltaBody: deltaBody(typeUrl, String(this.revision), names.values(), []),
    };
  }

  /** Resources in total. */
  get size(): number {
    let n = 0;
    for (const t of this.#types.values()) n += t.resources.size;
    return n;
  }

  /** The type's snapshot; an empty one for a type the config lacks (an initial request is always answered). */
  type(typeUrl: string): TypeSnapshot {
    let t = this.#types.get(typeUrl) ?? this.#empty.get(typeUrl);
    if (!t) {
      t = this.#build(typeUrl, new Map());
      // Bounded: a client inventing type URLs must not grow the floor without end.
      if (this.#empty.size < 64) this.#empty.set(typeUrl, t);
    }
    return t;
  }

  /** The pre-built full response body (no nonce) of a type for a variant. */
  initialBody(variant: FloorVariant, typeUrl: string): Buffer {
    const t = this.type(typeUrl);
    return variant === 'sotw' ? t.sotwBody : t.deltaBody;
  }

  /**
   * What changed from `previous` to this snapshot, one message per changed
   * type in send order. SotW CDS/LDS carry the full set (rule B13); SotW
   * EDS/RDS carry only the changed resources and cannot signal removals;
   * delta carries the changed resources plus `removed_resources`.
   * `nonce()` gives each message a nonce of its own, unique within any stream.
   */
  changesSince(previous: Snapshot, nonce: () => string): TypeChange[] {
    const typeUrls = [...new Set([...this.#types.keys(), ...previous.#types.keys()])].sort(compareTypes);
    const out: TypeChange[] = [];
    for (const typeUrl of typeUrls) {
      const now = this.#types.get(typeUrl)?.resources ?? new Map<string, EncodedResource>();
      const before = previous.#types.get(typeUrl)?.resources ?? new Map<string, EncodedResource>();
      const changed: EncodedResource[] = [];
      for (const [name, r] of now) if (before.get(name)?.version !== r.version) changed.push(r);
      const removed: string[] = [];
      for (const name of before.keys()) if (!now.has(name)) removed.push(name);
      if (changed.length === 0 && removed.length === 0) continue;
      const t = this.type(typeUrl);
      let sotw: Buffer | undefined;
      if (FULL_STATE_IN_SOTW.has(typeUrl)) sotw = withNonce(t.sotwBody, nonce());
      else if (changed.length > 0) sotw = withNonce(sotwBody(typeUrl, t.version, changed), nonce());
      const delta = withNonce(deltaBody(typeUrl, String(this.revision), changed, removed), nonce());
      out.push({ typeUrl, sotw, delta, changed: changed.length, removed: removed.length });
    }
    return out;
  }
}

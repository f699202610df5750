/**
 * @module loadgen/type-state
 * What a simulated node holds for one resource type, as a shared immutable
 * state graph. Nodes fed the same responses in the same order end in the
 * same state object, so 5000 nodes holding 1000 clusters cost one map, not
 * 5000. A response applied to a state is decoded once per worker: the
 * transition is cached on the state under the response's content bytes, and
 * every other node that receives byte-identical content takes the cached
 * transition after a memcmp. This works against any server; it never trusts
 * version strings to mean equal content.
 */
import { createHash } from 'node:crypto';
import { decodeDeltaResource, decodeSotwResource, removedOf, resourcesOf } from './xds-decode';
import type { DeltaResponse, ResourceInfo, SotwResponse } from './xds-decode';
import { findStamps } from './stamp';
import type { Stamp } from './stamp';
import type { NameSet, NameSetPool } from './name-set';
import { encodeInitialVersions } from './xds-encode';
import { shortTypeName } from './messages';

/** Characters of a SotW resource's digest kept as its version id. */
const DIGEST_CHARS = 12;

function digestOf(body: Buffer | undefined): string {
  return body ? createHash('sha1').update(body).digest('base64').slice(0, DIGEST_CHARS) : '';
}

function removedKey(type: string, name: string): string {
  return `${type}/${name} (removed)`;
}

/** What a node holds for one resource name. */
export interface HeldEntry {
  /** Delta: the server's version. SotW: '' (versions are per type there). */
  readonly version: string;
  /** What identifies this version of the resource: delta, the server's version; SotW, a digest of its bytes. */
  readonly id: string;
  /** Names this resource makes the node subscribe to in the dependent type. */
  readonly deps: readonly string[];
  /** Delta: the server said the name does not exist (removed_resources). */
  readonly absent: boolean;
}

/** The result of applying one response to a state. */
export interface Transition {
  readonly next: TypeState;
  /** Latency stamps found in the response's resources. */
  readonly stamps: readonly Stamp[];
  /**
   * Resource versions this response brings that `from` did not hold, as
   * `<type>/<name>@<id>` (removals `<type>/<name> (removed)`): what a node
   * receives of every change, stamped by the bench or not.
   */
  readonly versions: readonly string[];
  /** Set when the response is invalid: the node must NACK with this message. */
  readonly error: string | undefined;
}

/** Transitions cached per state; nodes in lock-step need one. */
const MAX_TRANSITIONS_PER_STATE = 4;
/** Coverage answers cached per state. */
const MAX_COVER_ANSWERS = 8;
/** States kept interned per graph, so diverged nodes that re-converge share again. */
const MAX_INTERNED_STATES = 64;

/** One immutable state; compare by identity. */
export class TypeState {
  readonly held: ReadonlyMap<string, HeldEntry>;
  /** Union of held resources' deps (EDS names for CDS, RDS names for LDS). */
  readonly deps: NameSet;
  readonly #transitions: { key: Buffer; transition: Transition }[] = [];
  readonly #covers = new Map<NameSet, boolean>();
  #initialVersions: Map<NameSet | null, Buffer> | undefined;

  constructor(held: ReadonlyMap<string, HeldEntry>, deps: NameSet) {
    this.held = held;
    this.deps = deps;
  }

  /** A cached transition for content `key`, if this worker has seen it from this state. */
  cached(key: Buffer): Transition | undefined {
    for (const t of this.#transitions) {
      if (t.key.length === key.length && t.key.equals(key)) return t.transition;
    }
    return undefined;
  }

  remember(key: Buffer, transition: Transition): void {
    if (this.#transitions.length >= MAX_TRANSITIONS_PER_STATE) this.#transitions.shift();
    // Copy: the key must not pin the whole received message in memory.
    this.#transitions.push({ key: Buffer.from(key), transition });
  }

  /** Whether every name in `wanted` is held (or known not to exist). */
  covers(wanted: NameSet): boolean {
    let answer = this.#covers.get(wanted);
    if (answer === undefined) {
      answer = wanted.names.every((n) => this.held.has(n));
      if (this.#covers.size >= MAX_COVER_ANSWERS) this.#covers.clear();
      this.#covers.set(wanted, answer);
    }
    return answer;
  }

  /**
   * Delta reconnect: initial_resource_versions for what is held, limited to
   * `wanted` when the type is subscribed by name (null = wildcard, all held).
   */
  initialVersions(wanted: NameSet | null): Buffer {
    this.#initialVersions ??= new Map();
    let bytes = this.#initialVersions.get(wanted);
    if (!bytes) {
      const entries: [string, string][] = [];
      for (const [name, e] of this.held) {
        if (!e.absent && (wanted === null || wanted.has(name))) entries.push([name, e.version]);
      }
      bytes = encodeInitialVersions(entries);
      this.#initialVersions.set(wanted, bytes);
    }
    return bytes;
  }
}

function stampsOf(infos: readonly ResourceInfo[]): Stamp[] {
  const stamps: Stamp[] = [];
  for (const info of infos) if (info.body) findStamps(info.body, stamps);
  return stamps;
}

/**
 * The state graph of one resource type in one worker. Builds states on a
 * cache miss and interns them by content so equal states are one object.
 */
export class TypeGraph {
  readonly typeUrl: string;
  /** SotW: responses carry every resource (LDS, CDS), so absent means deleted. */
  readonly fullState: boolean;
  readonly initial: TypeState;
  readonly #names: NameSetPool;
  /** Short type name (cds, eds, ...) for version keys. */
  readonly #type: string;
  readonly #interned = new Map<string, TypeState>();
  readonly #retained = new WeakMap<TypeState, Map<NameSet, TypeState>>();
  /** Transitions computed (cache misses): a measure of decode work. */
  decodes = 0;

  constructor(typeUrl: string, fullState: boolean, names: NameSetPool) {
    this.typeUrl = typeUrl;
    this.fullState = fullState;
    this.#type = shortTypeName(typeUrl);
    this.#names = names;
    this.initial = new TypeState(new Map(), names.empty);
  }

  /** Apply a SotW response to `from`. */
  applySotw(from: TypeState, response: SotwResponse): Transition {
    const hit = from.cached(response.contentKey);
    if (hit) return hit;
    this.decodes++;
    let transition: Transition;
    try {
      const infos = resourcesOf(response).map((r) => decodeSotwResource(this.typeUrl, r));
      const held = new Map<string, HeldEntry>(this.fullState ? [] : from.held);
      const versions: string[] = [];
      for (const info of infos) {
        if (held.has(info.name) && this.fullState) throw new Error(`duplicate resource name ${info.name}`);
        const id = digestOf(info.body);
        const before = from.held.get(info.name);
        if (before?.id !== id) versions.push(`${this.#type}/${info.name}@${id}`);
        held.set(info.name, { version: '', id, deps: info.deps, absent: false });
      }
      if (this.fullState) for (const name of from.held.keys()) if (!held.has(name)) versions.push(removedKey(this.#type, name));
      transition = { next: this.#intern(held), stamps: stampsOf(infos), versions, error: undefined };
    } catch (err) {
      transition = { next: from, stamps: [], versions: [], error: (err as Error).message };
    }
    from.remember(response.contentKey, transition);
    return transition;
  }

  /** Apply a delta response to `from`. */
  applyDelta(from: TypeState, response: DeltaResponse): Transition {
    const hit = from.cached(response.contentKey);
    if (hit) return hit;
    this.decodes++;
    let transition: Transition;
    try {
      const infos = resourcesOf(response).map((r) => decodeDeltaResource(this.typeUrl, r));
      const held = new Map<string, HeldEntry>(from.held);
      const seen = new Set<string>();
      const versions: string[] = [];
      for (const info of infos) {
        if (seen.has(info.name)) throw new Error(`duplicate resource name ${info.name}`);
        seen.add(info.name);
        // A Resource without body refreshes a TTL; it keeps what is held.
        const before = held.get(info.name);
        if (info.body) {
          if (before?.id !== info.version || before.absent) versions.push(`${this.#type}/${info.name}@${info.version}`);
          held.set(info.name, { version: info.version, id: info.version, deps: info.deps, absent: false });
        } else {
          held.set(info.name, { version: info.version, id: info.version, deps: before?.deps ?? [], absent: before?.absent ?? false });
        }
      }
      for (const name of removedOf(response)) {
        if (seen.has(name)) throw new Error(`resource ${name} both sent and removed`);
        const before = held.get(name);
        if (before && !before.absent) versions.push(removedKey(this.#type, name));
        held.set(name, { version: '', id: '', deps: [], absent: true });
      }
      transition = { next: this.#intern(held), stamps: stampsOf(infos), versions, error: undefined };
    } catch (err) {
      transition = { next: from, stamps: [], versions: [], error: (err as Error).message };
    }
    from.remember(response.contentKey, transition);
    return transition;
  }

  /**
   * Forget names the node no longer subscribes to (delta unsubscribe):
   * Envoy drops them and must not report them on reconnect.
   */
  retain(from: TypeState, wanted: NameSet): TypeState {
    let byWanted = this.#retained.get(from);
    const hit = byWanted?.get(wanted);
    if (hit) return hit;
    const next = this.#computeRetain(from, wanted);
    if (!byWanted) {
      byWanted = new Map();
      this.#retained.set(from, byWanted);
    }
    if (byWanted.size >= MAX_TRANSITIONS_PER_STATE) byWanted.clear();
    byWanted.set(wanted, next);
    return next;
  }

  #computeRetain(from: TypeState, wanted: NameSet): TypeState {
    let drop = false;
    for (const name of from.held.keys()) {
      if (!wanted.has(name)) {
        drop = true;
        break;
      }
    }
    if (!drop) return from;
    const held = new Map<string, HeldEntry>();
    for (const [name, e] of from.held) if (wanted.has(name)) held.set(name, e);
    return this.#intern(held);
  }

  #intern(held: Map<string, HeldEntry>): TypeState {
    const names = [...held.keys()].sort();
    const hash = createHash('sha1');
    const deps: string[] = [];
    for (const name of names) {
      const e = held.get(name) as HeldEntry;
      hash
        .update(name)
        .update('\0')
        .update(e.version)
        .update('\0')
        .update(e.id)
        .update(e.absent ? '\0-' : '\0+')
        .update(e.deps.join('\0'))
        .update('\n');
      if (!e.absent) for (const d of e.deps) deps.push(d);
    }
    const key = hash.digest('base64');
    let state = this.#interned.get(key);
    if (state) {
      this.#interned.delete(key);
    } else {
      state = new TypeState(held, this.#names.of(deps));
      if (this.#interned.size >= MAX_INTERNED_STATES) this.#interned.delete(this.#interned.keys().next().value as string);
    }
    this.#interned.set(key, state);
    return state;
  }
}

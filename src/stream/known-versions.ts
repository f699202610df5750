/**
 * @module stream/known-versions
 * The versions a delta client holds for one type, stored as a shared base
 * plus a small per-stream overlay. When a client is in sync with a store
 * view (the usual steady state), its base *is* that immutable view and its
 * overlay is empty, so thousands of in-sync streams share one map instead of
 * each holding thousands of entries (DESIGN.md: memory per stream bounded).
 */
import type { EncodedResource } from '../encode';

/** A view the base can point at: name → resource with a version. */
type BaseView = ReadonlyMap<string, EncodedResource>;

/** Overlay marker: the client does not hold this base name. */
const GONE = Symbol('gone');

/** Overlay entries above which a stream tries to fold its overlay into a newer base. */
const REBASE_THRESHOLD_ENTRIES = 32;

type Overlay = Map<string, string | typeof GONE>;

/** Stands in for an overlay not allocated yet: most in-sync streams never need one. */
const NO_OVERLAY: ReadonlyMap<string, string | typeof GONE> = new Map();

/** name → version the client holds. */
export class KnownVersions {
  #base: BaseView | undefined;
  /**
   * Allocated on the first private entry and dropped again when the stream
   * shares a view: an emptied Map keeps its grown table, and thousands of
   * in-sync streams × four types would each hold one.
   */
  #overlay: ReadonlyMap<string, string | typeof GONE> = NO_OVERLAY;

  constructor(initial?: ReadonlyMap<string, string>) {
    if (initial) for (const [n, v] of initial) this.#own().set(n, v);
  }

  #own(): Overlay {
    if (this.#overlay === NO_OVERLAY) this.#overlay = new Map();
    return this.#overlay as Overlay;
  }

  /**
   * The versions a reconnecting client reports (`initial_resource_versions`),
   * laid over `view` when it holds most of it: a client that moves from
   * another server usually holds exactly the current view, and then shares
   * it (empty overlay) instead of copying its thousands of entries, and the
   * first plan finds nothing to send without a private map to consult.
   */
  static fromInitial(initial: ReadonlyMap<string, string>, view: BaseView): KnownVersions {
    const out = new KnownVersions();
    if (initial.size === 0) return out;
    const differing: [string, string][] = [];
    for (const [n, v] of initial) if (view.get(n)?.version !== v) differing.push([n, v]);
    const matching = initial.size - differing.length;
    // Sharing pays only if the view is mostly held: each view name the client lacks costs an overlay entry.
    if (matching * 2 < view.size) {
      for (const [n, v] of initial) out.#own().set(n, v);
      return out;
    }
    out.#base = view;
    if (matching < view.size) for (const n of view.keys()) if (!initial.has(n)) out.#own().set(n, GONE);
    for (const [n, v] of differing) out.#own().set(n, v);
    return out;
  }

  /** The version held, or undefined. */
  get(name: string): string | undefined {
    const o = this.#overlay.get(name);
    if (o !== undefined) return o === GONE ? undefined : o;
    return this.#base?.get(name)?.version;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, version: string): void {
    if (this.#base?.get(name)?.version === version) this.#forget(name);
    else this.#own().set(name, version);
  }

  delete(name: string): void {
    if (this.#base?.has(name)) this.#own().set(name, GONE);
    else this.#forget(name);
  }

  #forget(name: string): void {
    if (this.#overlay.size === 0) return;
    const overlay = this.#overlay as Overlay;
    overlay.delete(name);
    if (overlay.size === 0) this.#overlay = NO_OVERLAY;
  }

  /** Every held name (a snapshot, safe to mutate while iterating). */
  keys(): string[] {
    const out: string[] = [];
    if (this.#base) for (const n of this.#base.keys()) if (!this.#overlay.has(n)) out.push(n);
    for (const [n, v] of this.#overlay) if (v !== GONE) out.push(n);
    return out;
  }

  /** An independent copy: the base is an immutable view, so only the overlay is copied. */
  copy(): KnownVersions {
    const out = new KnownVersions();
    out.#base = this.#base;
    if (this.#overlay.size > 0) out.#overlay = new Map(this.#overlay);
    return out;
  }

  /** Whether the client holds exactly `view` (shared base, no private entries). */
  isExactly(view: BaseView): boolean {
    return this.#base === view && this.#overlay.size === 0;
  }

  /** Whether the client holds nothing (and was told of no missing name): a fresh subscription without initial versions. */
  get isEmpty(): boolean {
    return (this.#base === undefined || this.#base.size === 0) && this.#overlay.size === 0;
  }

  /** Entries held privately by this stream (for memory accounting and tests). */
  get overlaySize(): number {
    return this.#overlay.size;
  }

  /** The client now holds exactly `view`: share it. */
  resetTo(view: BaseView): void {
    this.#base = view;
    this.#overlay = NO_OVERLAY;
  }

  /**
   * If the overlay has grown (past the threshold, or to the size of a small
   * view) and the client holds exactly `view`, share the view instead.
   * O(view) but only past that size, so amortised.
   */
  maybeRebase(view: BaseView): void {
    // A small view (ten listeners, ten routes) never reaches the threshold, yet its overlay costs a Map per stream: fold it once it could hold the whole view.
    if (this.#overlay.size < Math.min(REBASE_THRESHOLD_ENTRIES, view.size) || this.#base === view || view.size === 0) return;
    let held = 0;
    for (const [name, r] of view) {
      if (this.get(name) !== r.version) return;
      held++;
    }
    if (this.keys().length !== held) return;
    this.resetTo(view);
  }
}

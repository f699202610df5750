/**
 * @module stream/pending-work
 * What one type on one stream still owes its client: the only state that
 * carries an update from the moment a change or request is seen to the
 * flush that plans the response. Every writer goes through add/addAll and
 * the planner empties it with take(), for both variants.
 */

/** What pending work a type has: decides which ordering rule applies (push-order.ts). */
export type PendingKind = 'none' | 'updates' | 'removals';

const NO_NAMES: ReadonlySet<string> = new Set();

/** Pending work of one type on one stream. */
export class PendingWork {
  /** Reconsider every subscribed (delta: and held) name. */
  all = false;
  /**
   * The one name to reconsider while there is exactly one: an endpoint
   * change owes each of thousands of streams one name per round, and a Set
   * per stream per round was young garbage for nothing.
   */
  #one: string | undefined;
  /** Names to reconsider once there are two or more (then `#one` is unset); unused while `all` is set. */
  #names: Set<string> | undefined;
  /** Respond even if the response would carry nothing (initial wildcard, full-state change). */
  mustRespond = false;
  /** Updates dominate removals. */
  kind: PendingKind = 'none';
  /** Delta only: names to send even if the client holds the same version. Allocated on first use. */
  #forced: Set<string> | undefined;

  /**
   * Names to reconsider, as a set not to be changed (empty while `all` is
   * set). A method, not a getter, because with one name owed it makes a
   * one-entry Set on every call: a per-push caller reads {@link only} first.
   */
  names(): ReadonlySet<string> {
    if (this.all) return NO_NAMES;
    if (this.#one !== undefined) return new Set<string>().add(this.#one);
    return this.#names ?? NO_NAMES;
  }

  /** The name owed when exactly one is (and not `all`), else undefined. */
  get only(): string | undefined {
    if (this.all) return undefined;
    if (this.#one !== undefined) return this.#one;
    if (this.#names?.size === 1) for (const n of this.#names) return n;
    return undefined;
  }

  /** How many names are owed (0 while `all` is set). */
  get nameCount(): number {
    if (this.all) return 0;
    return this.#one !== undefined ? 1 : (this.#names?.size ?? 0);
  }

  /** Owe the client `name`; `force` resends it even if the client holds its version. */
  add(name: string, kind: 'updates' | 'removals', force = false): void {
    if (!this.all) this.#addName(name);
    if (force) (this.#forced ??= new Set()).add(name);
    this.mark(kind);
  }

  #addName(name: string): void {
    if (this.#names) this.#names.add(name);
    else if (this.#one === undefined) this.#one = name;
    else if (this.#one !== name) {
      this.#names = new Set<string>().add(this.#one).add(name);
      this.#one = undefined;
    }
  }

  /** Owe the client everything it subscribes to. */
  addAll(kind: 'updates' | 'removals', mustRespond: boolean): void {
    this.all = true;
    if (mustRespond) this.mustRespond = true;
    this.mark(kind);
  }

  /** Raise the kind of work owed without naming what (the planner reconsiders everything anyway). */
  mark(kind: 'updates' | 'removals'): void {
    if (kind === 'updates' || this.kind === 'none') this.kind = kind;
  }

  /** No longer owe `name` (the client unsubscribed from it). */
  drop(name: string): void {
    if (this.#one === name) this.#one = undefined;
    this.#names?.delete(name);
  }

  /** Whether `name` must be sent even at the version the client holds. */
  forced(name: string): boolean {
    return this.#forced !== undefined && this.#forced.has(name);
  }

  hasAny(): boolean {
    return this.all || this.#one !== undefined || (this.#names !== undefined && this.#names.size > 0) || this.mustRespond;
  }

  /**
   * The planner has read `all`, the names and `forced()`: empty the work and
   * say whether a response was owed even if empty. Allocates nothing, so the
   * flush loop stays as cheap as before.
   */
  take(): boolean {
    const mustRespond = this.mustRespond;
    this.all = false;
    // Dropped, not cleared: a cleared Set still holds a table, and most streams owe nothing between rounds.
    this.#names = undefined;
    this.#one = undefined;
    this.#forced?.clear();
    this.mustRespond = false;
    this.kind = 'none';
    return mustRespond;
  }
}

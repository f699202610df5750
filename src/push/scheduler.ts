/**
 * @module push/scheduler
 * Box ④: hands each committed change set to the streams of the affected node
 * groups only, then lets them flush. Streams of groups a batch did not touch
 * do no work at all; within a group each stream does work proportional to
 * the change (set lookups on the changed names), never to the store size.
 */
import type { ChangeSet } from '../store';
import type { CancelWatch, Watch } from './watch';

/**
 * Wall time one macrotask spends flushing streams before it yields to I/O.
 * A time budget, not a stream count: every yield lets in the ACKs of the
 * streams already written, and they are handled before the next slice, so
 * each yield delays the streams not yet written by the ACK work of those
 * that were. With slices of 500 streams a 3000-stream SotW push handed its
 * last response to HTTP/2 581-854 ms after the commit against 28-166 ms for
 * the floor server, which writes in one loop; 50 ms slices still left the
 * 5000-node SotW update p99 at 1.45-1.77x the floor's in four runs, and
 * 1000 ms slices brought it to 0.95-1.33x (docs/scaling.md, "Flush slice").
 * The price: a fan-out may hold the event loop for up to this long per turn
 * (new streams and admin requests wait that long). The server's event-loop
 * delay p99, read every second, did not rise in those runs: the initial
 * sync, not the fan-out, sets it.
 */
export const FLUSH_SLICE_MS = 1000;

/** Test seams: the clock and the slice budget. */
export interface PushSchedulerOptions {
  /** Milliseconds, monotonic (default performance.now). */
  readonly now?: () => number;
  /** Default {@link FLUSH_SLICE_MS}. */
  readonly sliceMs?: number;
}

/** One registered watch, with the scheduler's own marks on it (kept off the Watch, which lives downstream). */
interface Registration {
  readonly watch: Watch;
  /** In the flush queue and not yet flushed: a second change before the flush adds nothing. */
  queued: boolean;
  cancelled: boolean;
}

/**
 * Watches due a flush, in the order they became due, each at most once.
 * An array kept across pushes, not a Set filled and emptied per push: every
 * change dirties every stream of a group, and a Set of thousands of streams
 * regrows its table (and shrinks it again) on every push, and that table
 * lives through the whole fan-out, so young-generation collections copy and
 * promote it each time. The array reaches the fleet's size once and is then
 * only overwritten.
 */
class FlushQueue {
  readonly #slots: (Registration | undefined)[] = [];
  #head = 0;
  #tail = 0;

  get empty(): boolean {
    return this.#head === this.#tail;
  }

  add(r: Registration): void {
    if (r.queued || r.cancelled) return;
    r.queued = true;
    if (this.#tail < this.#slots.length) this.#slots[this.#tail] = r;
    else this.#slots.push(r);
    this.#tail++;
  }

  /** The next due registration still registered, or undefined when none is left. */
  take(): Registration | undefined {
    while (this.#head < this.#tail) {
      const r = this.#slots[this.#head];
      // Cleared, so a closed stream is not kept alive by a slot until it is overwritten.
      this.#slots[this.#head++] = undefined;
      if (this.#head === this.#tail) this.#head = this.#tail = 0;
      if (r === undefined) continue;
      r.queued = false;
      if (!r.cancelled) return r;
    }
    return undefined;
  }
}

/** Fans change sets out to watches. */
export class PushScheduler {
  readonly #byGroup = new Map<string, Set<Registration>>();
  readonly #due = new FlushQueue();
  #flushScheduled = false;
  #pushes = 0;
  readonly #now: () => number;
  readonly #sliceMs: number;

  constructor(options: PushSchedulerOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#sliceMs = options.sliceMs ?? FLUSH_SLICE_MS;
  }

  /** Change sets delivered since start. */
  get pushes(): number {
    return this.#pushes;
  }

  /** Number of registered watches. */
  get size(): number {
    let n = 0;
    for (const s of this.#byGroup.values()) n += s.size;
    return n;
  }

  /** Start delivering changes of `watch.group` to `watch`. */
  register(watch: Watch): CancelWatch {
    const group = watch.group;
    let set = this.#byGroup.get(group);
    if (!set) this.#byGroup.set(group, (set = new Set()));
    const r: Registration = { watch, queued: false, cancelled: false };
    set.add(r);
    return () => {
      // A queued slot of a cancelled registration is skipped when reached.
      r.cancelled = true;
      set.delete(r);
      if (set.size === 0 && this.#byGroup.get(group) === set) this.#byGroup.delete(group);
    };
  }

  /** Deliver one committed batch. Marks pending synchronously; sends on the next turn. */
  publish(changes: ChangeSet): void {
    this.#pushes++;
    const publishedAt = performance.now();
    for (const [group, types] of changes.byGroup) {
      const registrations = this.#byGroup.get(group);
      if (!registrations) continue;
      for (const r of registrations) {
        r.watch.noteChanges(types, publishedAt);
        this.#due.add(r);
      }
    }
    this.#scheduleFlush();
  }

  /** Flush every watch (after the first commit, which may have changed nothing). */
  flushAll(): void {
    for (const set of this.#byGroup.values()) for (const r of set) this.#due.add(r);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#due.empty) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flushSlice());
  }

  #flushSlice(): void {
    this.#flushScheduled = false;
    const deadline = this.#now() + this.#sliceMs;
    for (;;) {
      const r = this.#due.take();
      if (r === undefined) break;
      r.watch.flush();
      if (this.#now() >= deadline) break;
    }
    this.#scheduleFlush();
  }
}

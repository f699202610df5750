/**
 * @module push/scheduler
 * Box ④: hands each committed change set to the streams of the affected node
 * groups only, then lets them flush. Streams of groups a batch did not touch
 * do no work at all; within a group each stream does work proportional to
 * the change (set lookups on the changed names), never to the store size.
 */
import type { ChangeSet } from '../store';
import type { CancelWatch, Watch } from './watch';

/** Streams flushed per macrotask, so a big fan-out never blocks incoming requests for long. */
const FLUSH_SLICE_STREAMS = 500;

/** Fans change sets out to watches. */
export class PushScheduler {
  readonly #byGroup = new Map<string, Set<Watch>>();
  #dirty = new Set<Watch>();
  #flushScheduled = false;
  #pushes = 0;

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
    let set = this.#byGroup.get(watch.group);
    if (!set) this.#byGroup.set(watch.group, (set = new Set()));
    set.add(watch);
    return () => {
      set.delete(watch);
      this.#dirty.delete(watch);
      if (set.size === 0 && this.#byGroup.get(watch.group) === set) this.#byGroup.delete(watch.group);
    };
  }

  /** Deliver one committed batch. Marks pending synchronously; sends on the next turn. */
  publish(changes: ChangeSet): void {
    this.#pushes++;
    const publishedAt = performance.now();
    for (const [group, types] of changes.byGroup) {
      const watches = this.#byGroup.get(group);
      if (!watches) continue;
      for (const w of watches) {
        w.noteChanges(types, publishedAt);
        this.#dirty.add(w);
      }
    }
    this.#scheduleFlush();
  }

  /** Flush every watch (after the first commit, which may have changed nothing). */
  flushAll(): void {
    for (const set of this.#byGroup.values()) for (const w of set) this.#dirty.add(w);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#dirty.size === 0) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flushSlice());
  }

  #flushSlice(): void {
    this.#flushScheduled = false;
    let n = 0;
    for (const w of this.#dirty) {
      this.#dirty.delete(w);
      w.flush();
      if (++n >= FLUSH_SLICE_STREAMS) break;
    }
    this.#scheduleFlush();
  }
}

/**
 * @module push/watch
 * The seam between the push scheduler and per-stream state: the scheduler
 * knows streams only as Watches, implemented downstream in stream/.
 */
import type { TypeChange } from '../store';

/** Something that wants to hear about changes to one node group's resources. */
export interface Watch {
  /** Node group whose view this watch follows. */
  readonly group: string;
  /**
   * Record the changes of one committed batch (names only). Must be cheap:
   * mark what is pending, send later in {@link Watch.flush}.
   */
  noteChanges(changes: ReadonlyMap<string, TypeChange>, publishedAt: number): void;
  /** Send whatever is pending and allowed now (ACK received, buffer not full). */
  flush(): void;
}

/** Stops a watch. */
export type CancelWatch = () => void;

/**
 * @module push
 * Box ④: the push scheduler.
 */
export { PushScheduler } from './scheduler';
export type { Watch, CancelWatch } from './watch';

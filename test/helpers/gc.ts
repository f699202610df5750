/**
 * @module test/helpers/gc
 * Forced garbage collection inside a test process started without
 * `--expose-gc` (as `npm test` starts them): V8 can be told to expose `gc`
 * at run time, and a fresh context picks it up. For tests of weakly held
 * caches, which must see their entries go once nothing else holds them.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Full collections with turns of the event loop between, so FinalizationRegistry callbacks have run. */
export async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

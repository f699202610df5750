/**
 * @module test/unit/observe/fd-limit.test
 * Reading and raising the open-file limit, on this machine: where
 * /proc/self/limits exists the limit is read, raising never throws, and it
 * never leaves the soft limit lower than it was.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { raiseFdLimit, readFdLimit } from '../../../src/observe/fd-limit';

test('the open-file limit is read where /proc is, and raising it never lowers it or throws', () => {
  const before = readFdLimit();
  if (!fs.existsSync('/proc/self/limits')) {
    assert.equal(before, undefined);
    return;
  }
  assert.ok(before && before.soft > 0 && before.soft <= before.hard, JSON.stringify(before));
  const raised = raiseFdLimit();
  assert.deepEqual(raised.before, before);
  assert.ok(raised.after && raised.after.soft >= before.soft);
  // Node raises the soft limit to the hard one at start, so usually there is nothing left to raise.
  if (before.soft === before.hard) assert.equal(raised.error, undefined);
});

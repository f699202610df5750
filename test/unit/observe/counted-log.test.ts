/**
 * @module test/unit/observe/counted-log.test
 * A burst of events gives one line at once and then one line per interval
 * with the count, never one line per event.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import pino from 'pino';
import { CountedLog } from '../../../src/observe/counted-log';
import { waitFor } from '../../helpers/server';

test('a burst is logged once at once, then as one count per interval, and the rest on close', async () => {
  const lines: { count: number; total: number; msg: string; level: number }[] = [];
  const log = pino({}, { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) });
  const counted = new CountedLog(log, 'warn', (n) => ({ fields: { closed: n }, msg: `closed ${n}` }), 50);
  for (let i = 0; i < 5; i++) counted.note();
  assert.equal(lines.length, 1, 'the first event is logged at once');
  assert.equal(lines[0]?.count, 1);
  assert.equal(lines[0]?.level, 40);
  await waitFor(() => lines.length === 2, 10_000, 'the count of the rest of the burst');
  assert.equal(lines[1]?.count, 4);
  assert.equal(lines[1]?.msg, 'closed 4');
  counted.note();
  counted.close();
  assert.equal(lines.length, 3, 'what is pending is logged on close');
  assert.equal(lines[2]?.total, 6);
  assert.equal(counted.total, 6);
});

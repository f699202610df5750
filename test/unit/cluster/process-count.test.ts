/**
 * @module test/unit/cluster/process-count.test
 * The --processes flag and the command line the primary gives each serving process.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { parseProcessCount, servingProcessArgs } from '../../../src/cluster/process-count';

test('--processes takes a whole number, auto (one per core) or nothing (one process)', () => {
  assert.equal(parseProcessCount(undefined), 1);
  assert.equal(parseProcessCount('3'), 3);
  assert.equal(parseProcessCount('auto'), os.availableParallelism());
  for (const bad of ['0', '-1', '1.5', 'two', '']) assert.throws(() => parseProcessCount(bad), /--processes must be a whole number of at least 1, or auto/);
});

test('serving processes get the primary arguments without --processes, plus --workers when none was given', () => {
  assert.deepEqual(servingProcessArgs(['--processes', '2', '--port', '0'], 3), ['--port', '0', '--workers', '3']);
  assert.deepEqual(servingProcessArgs(['--port=0', '--processes=auto'], 1), ['--port=0', '--workers', '1']);
});

test('an explicit --workers is kept as the per-process count', () => {
  assert.deepEqual(servingProcessArgs(['--processes', '2', '--workers', '4'], 1), ['--workers', '4']);
  assert.deepEqual(servingProcessArgs(['--workers=2', '--processes', '2'], 1), ['--workers=2']);
});

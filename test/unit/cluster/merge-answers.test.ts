/**
 * @module test/unit/cluster/merge-answers.test
 * Merging the serving processes' JSON answers to one admin request without
 * knowing the endpoint: lists concatenated and tagged by pid, counts summed,
 * the rest from the first answer.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mergeProcessAnswers } from '../../../src/cluster/merge-answers';

test('lists are concatenated with each entry tagged by its pid, and counts are summed', () => {
  const merged = mergeProcessAnswers([
    { pid: 11, body: { streams: 2, nodes: [{ id: 'a' }, { id: 'b' }] } },
    { pid: 22, body: { streams: 1, nodes: [{ id: 'c' }] } },
  ]);
  assert.deepEqual(merged, {
    streams: 3,
    nodes: [
      { pid: 11, id: 'a' },
      { pid: 11, id: 'b' },
      { pid: 22, id: 'c' },
    ],
    processes: 2,
  });
});

test('values that are neither lists nor counts come from the first answer that has them; scalar list entries stay as they are', () => {
  const merged = mergeProcessAnswers([
    { pid: 1, body: { revision: 'r1', names: ['x'] } },
    { pid: 2, body: { revision: 'r2', names: ['y'], extra: true } },
  ]);
  assert.deepEqual(merged, { revision: 'r1', names: ['x', 'y'], extra: true, processes: 2 });
});

test('an answer that is not a JSON object is passed through from the first process', () => {
  assert.deepEqual(
    mergeProcessAnswers([
      { pid: 1, body: [1, 2] },
      { pid: 2, body: [3] },
    ]),
    [1, 2],
  );
  assert.equal(mergeProcessAnswers([]), undefined);
});

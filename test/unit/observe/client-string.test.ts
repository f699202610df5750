/**
 * @module test/unit/observe/client-string.test
 * The one helper every client string passes through before a log line or
 * status page: short safe strings unchanged, control characters escaped,
 * long ones cut with their original length, output bounded whatever the input.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CLIENT_STRING_MAX_CHARS, clientString } from '../../../src/observe/client-string';

test('a short printable client string is returned as it is', () => {
  const s = 'node-1.example.com/π';
  assert.equal(clientString(s), s);
});

test('control characters, line separators and bidi overrides are escaped so a log line shows what was sent', () => {
  assert.equal(clientString('a\nb\rc\td\u0001e\u007f\u0085\u2028\u202e'), 'a\\nb\\rc\\td\\x01e\\x7f\\x85\\u2028\\u202e');
});

test('a long string is cut at the limit and says how long the original was', () => {
  const out = clientString('x'.repeat(10_000));
  assert.equal(out, `${'x'.repeat(CLIENT_STRING_MAX_CHARS)}…(10000 chars)`);
});

test('output stays bounded for a megabyte of control characters (each escapes to four characters)', () => {
  const out = clientString('\u0001'.repeat(1024 * 1024), 100);
  assert.ok(out.length < 100 + 4 + 20, `${out.length} chars`);
  assert.ok(out.endsWith('…(1048576 chars)'));
});

test('the cut never splits a surrogate pair', () => {
  const out = clientString('😀'.repeat(10), 5);
  assert.ok(!/[\ud800-\udbff]…/.test(out), out);
  assert.ok(out.startsWith('😀😀😀'));
});

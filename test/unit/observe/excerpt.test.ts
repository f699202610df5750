import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bareExcerpt, describeValue, excerpt, keyExcerpt, libraryMessage, nameExcerpt, EXCERPT_MAX_CHARS, KEY_MAX_CHARS, NAME_MAX_CHARS } from '../../../src/observe/excerpt';

test('a short value is shown whole, quoted and escaped', () => {
  assert.equal(excerpt('bogus_field'), '"bogus_field"');
  assert.equal(excerpt('say "hi"\\'), '"say \\"hi\\"\\\\"');
  assert.equal(bareExcerpt('a b'), 'a b');
});

test('a long value shows half the limit and its length, never the rest', () => {
  const hash = '$6$Qm9vYmFyYmF6$k3sVxJq0zPn9yHfTqLw2uE1rXo8cA5dGbN7mZiS4tU6vW3yR0pKjHlFgDsEaQwC2x';
  const shown = excerpt(hash);
  assert.equal(shown, `"${hash.slice(0, EXCERPT_MAX_CHARS / 2)}…" (${hash.length} chars)`);
  assert.equal(shown.includes(hash.slice(EXCERPT_MAX_CHARS / 2, EXCERPT_MAX_CHARS / 2 + 4)), false);
});

test('control, format and line-separator characters are escaped, so an excerpt cannot forge a log line or repaint a terminal', () => {
  assert.equal(excerpt('a\nb\r\tc'), '"a\\nb\\r\\tc"');
  assert.equal(excerpt('\u001b[31mred'), '"\\u001b[31mred"');
  assert.equal(excerpt('rtl\u202eevil'), '"rtl\\u202eevil"');
  assert.equal(excerpt('x\u2028y'), '"x\\u2028y"');
  assert.equal(excerpt('lone \ud800 surrogate'), '"lone \\ud800 surrogate"');
});

test('a cut never splits a surrogate pair', () => {
  const value = `${'a'.repeat(EXCERPT_MAX_CHARS / 2 - 1)}😀${'b'.repeat(EXCERPT_MAX_CHARS)}`;
  assert.equal(excerpt(value), `"${'a'.repeat(EXCERPT_MAX_CHARS / 2 - 1)}…" (${value.length} chars)`);
});

test('resource names are shown up to their own, longer limit', () => {
  const name = 'outbound|8080||reviews.default.svc.cluster.local';
  assert.equal(nameExcerpt(name), `"${name}"`);
  const long = 'n'.repeat(NAME_MAX_CHARS + 1);
  assert.equal(nameExcerpt(long), `"${'n'.repeat(NAME_MAX_CHARS / 2)}…" (${NAME_MAX_CHARS + 1} chars)`);
});

test('values in "got X" messages show their kind, and strings and numbers as short excerpts', () => {
  assert.equal(describeValue(null), 'null');
  assert.equal(describeValue([1]), 'a list');
  assert.equal(describeValue({ a: 1 }), 'a mapping');
  assert.equal(describeValue(5), 'number 5');
  assert.equal(describeValue('x'.repeat(100)), `the string "${'x'.repeat(20)}…" (100 chars)`);
});

test("a library's message keeps its own words and cuts the long ones that came from the input", () => {
  const tag = `!${'s3cr3t'.repeat(10)}`;
  const message = libraryMessage(`Unresolved tag: ${tag}`);
  assert.equal(message, `Unresolved tag: ${tag.slice(0, 20)}… (${tag.length} chars)`);
  assert.equal(libraryMessage('a\nb\u001b'), 'a b\\u001b');
  assert.ok(libraryMessage('word '.repeat(100)).length <= 161);
});

test('mapping keys are shown whole up to the longest Envoy field name, so a typo in one can be seen', () => {
  const typo = 'max_inbound_window_update_frames_per_data_frame_snt';
  assert.equal(keyExcerpt(typo), `"${typo}"`);
  const long = 'k'.repeat(KEY_MAX_CHARS + 1);
  assert.equal(keyExcerpt(long), `"${'k'.repeat(KEY_MAX_CHARS / 2)}…" (${KEY_MAX_CHARS + 1} chars)`);
});

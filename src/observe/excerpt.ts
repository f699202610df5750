/**
 * @module observe/excerpt
 * What of config input may reach an error message or a log line. A config
 * path can point at anything (a symlink to `/etc/shadow`, a key file), so
 * messages name keys and paths, and show a value only as a short, escaped
 * excerpt: never a whole line of a file, never a control character that
 * could forge a log line or repaint a terminal.
 *
 * Every message built from config text (parse errors, unknown keys, field
 * errors, short-form errors, store errors that name resources) goes through
 * these helpers.
 */
import { escapeInvisible, head } from './escape';

/** Longest value shown whole, in characters; longer ones are cut to half of it. Covers Envoy field names (≤ 40). */
export const EXCERPT_MAX_CHARS = 40;

/**
 * Longest mapping key shown whole, in characters: keys are names, not
 * values, and the longest Envoy field name (52 characters) must show whole
 * in an "unknown field" message for its typo to be seen.
 */
export const KEY_MAX_CHARS = 56;

/**
 * Longest resource name shown whole, in characters. Names are identifiers a
 * user must recognise (`outbound|8080||reviews.default.svc.cluster.local`)
 * and only ever come from a document that parsed as a config.
 */
export const NAME_MAX_CHARS = 128;

/** Longest message taken from a library (YAML, JSON, RegExp errors), in characters. */
export const LIBRARY_MESSAGE_MAX_CHARS = 160;

/**
 * Characters escaped even inside a short excerpt: ASCII and Latin-1 control characters, format
 * characters (bidi overrides, zero-width), line/paragraph separators and
 * lone surrogates.
 */
const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}"\\]/gu;

function escapeChar(c: string): string {
  switch (c) {
    case '"':
      return '\\"';
    case '\\':
      return '\\\\';
    default:
      return escapeInvisible(c, false);
  }
}

/** The same characters but quotes and backslashes, for text that is not shown in quotes. */
const INVISIBLE_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** Escape a string for a double-quoted excerpt: one line, every invisible character visible. */
export function escapeText(s: string): string {
  return s.replace(UNSAFE_CHARS, escapeChar);
}

/**
 * A value as it may appear in a message, unquoted: escaped, and if longer
 * than `maxChars` cut to half of that plus `… (N chars)`, so a long secret
 * never shows more than a few characters.
 */
export function bareExcerpt(value: string, maxChars: number = EXCERPT_MAX_CHARS): string {
  if (value.length <= maxChars) return escapeText(value);
  return `${escapeText(head(value, Math.floor(maxChars / 2)))}… (${value.length} chars)`;
}

/** {@link bareExcerpt} in double quotes: `"abc"`, `"root:$6$Qm9vYmFyYmF6$…" (118 chars)`. */
export function excerpt(value: string, maxChars: number = EXCERPT_MAX_CHARS): string {
  if (value.length <= maxChars) return `"${escapeText(value)}"`;
  return `"${escapeText(head(value, Math.floor(maxChars / 2)))}…" (${value.length} chars)`;
}

/** A mapping key for a message, quoted; cut past {@link KEY_MAX_CHARS}. */
export function keyExcerpt(key: string): string {
  return excerpt(key, KEY_MAX_CHARS);
}

/** A mapping key inside a dotted path, unquoted; cut past {@link KEY_MAX_CHARS}. */
export function pathKey(key: string): string {
  return bareExcerpt(key, KEY_MAX_CHARS);
}

/** A resource or group name for a message, quoted; long names are cut at {@link NAME_MAX_CHARS}. */
export function nameExcerpt(name: string): string {
  return excerpt(name, NAME_MAX_CHARS);
}

/** Any config value for a "got X" message: its kind, and for a string or number a short excerpt. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${excerpt(value)}`;
  return `${typeof value} ${bareExcerpt(String(value))}`;
}

/**
 * A message from a library whose wording may embed pieces of the input
 * (`Unresolved tag: !…`, `Invalid escape sequence …`): escaped, each word
 * longer than {@link EXCERPT_MAX_CHARS} cut like a value (the libraries' own
 * words are shorter), and the whole capped at `maxChars`.
 */
export function libraryMessage(message: string, maxChars: number = LIBRARY_MESSAGE_MAX_CHARS): string {
  const words = message.split(/(\s+)/).map((w) => {
    if (/^\s+$/.test(w)) return ' ';
    const cut = w.length <= EXCERPT_MAX_CHARS ? w : `${head(w, Math.floor(EXCERPT_MAX_CHARS / 2))}… (${w.length} chars)`;
    return cut.replace(INVISIBLE_CHARS, escapeChar);
  });
  const joined = words.join('').trim();
  return joined.length <= maxChars ? joined : `${head(joined, maxChars)}…`;
}

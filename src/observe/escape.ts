/**
 * @module observe/escape
 * The cut and escape core under both ways untrusted text reaches a message:
 * config excerpts (./excerpt.ts) and client strings (./client-string.ts).
 * A cut never splits a surrogate pair; an escaped character is shown by its
 * code, so a log line shows what was sent and no control character forges a
 * line or repaints a terminal.
 */

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Whether a UTF-16 unit opens a surrogate pair. */
export function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The first `n` UTF-16 units of `s`, not splitting a surrogate pair. */
export function head(s: string, n: number): string {
  const cut = s.slice(0, n);
  return isHighSurrogate(cut.charCodeAt(cut.length - 1)) ? cut.slice(0, -1) : cut;
}

/**
 * One invisible character made visible: `\n`, `\r`, `\t`, else its code,
 * as `\xHH` up to U+00FF when `latin1Short` (client strings) or always as
 * `\uHHHH` (config excerpts, JSON-like).
 */
export function escapeInvisible(c: string, latin1Short: boolean): string {
  const short = SHORT_ESCAPES[c];
  if (short !== undefined) return short;
  const code = c.codePointAt(0) ?? 0;
  return latin1Short && code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

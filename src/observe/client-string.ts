/**
 * @module observe/client-string
 * Client-supplied strings (node ids, NACK messages, versions, type URLs,
 * names) are untrusted: a client can send megabytes of control characters,
 * which pino escapes as six bytes each, so one NACK could become a 6 MiB log
 * line, and a status page that keeps them holds that memory per stream.
 * Everything a client wrote passes through {@link clientString} before it
 * reaches a log line, a stored status or `/nodes`.
 */
import { escapeInvisible, isHighSurrogate } from './escape';

/** Characters of a client string kept in logs and status pages (after escaping). */
export const CLIENT_STRING_MAX_CHARS = 256;

// ASCII and Latin-1 control characters, DEL, line/paragraph separators and bidi overrides
// (which can make a log line read differently from what it contains).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * A client string made safe to log: control characters escaped (`\n`,
 * `\x01`, `\u202e`) and cut at `maxChars` output characters, with
 * `…(N chars)` giving the original length. Work and output are bounded by `maxChars`, whatever the input size.
 */
export function clientString(value: string, maxChars: number = CLIENT_STRING_MAX_CHARS): string {
  if (value.length <= maxChars && !UNSAFE.test(value)) return value;
  let out = '';
  let i = 0;
  for (; i < value.length && out.length < maxChars; i++) {
    const c = value[i] as string;
    // Keep a surrogate pair whole, so the cut never leaves half a character.
    if (isHighSurrogate(c.charCodeAt(0)) && i + 1 < value.length) {
      out += c + value[i + 1];
      i++;
      continue;
    }
    out += UNSAFE.test(c) ? escapeInvisible(c, true) : c;
  }
  return i < value.length ? `${out}…(${value.length} chars)` : out;
}

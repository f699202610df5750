/**
 * @module cli/duration
 * Durations on the command line as k6, ghz and hey take them: `500ms`, `10s`,
 * `2m`, `1h`, decimals (`1.5s`) and sums (`1m30s`). A bare number keeps the
 * meaning its flag always had: milliseconds for the `-ms` flags
 * (`--drain-timeout-ms 500`), seconds for `apply --wait 60`.
 */
import { UsageError } from './usage';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** The accepted forms, for help texts and error messages. */
export const DURATION_FORMS = 'a number of milliseconds, or a duration with a unit: 500ms, 10s, 2m, 1h, 1m30s';

/** Milliseconds in `text` (a bare integer counts `bareUnitMs` each), or undefined when it is not a duration. */
function durationMs(value: string, bareUnitMs: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * bareUnitMs;
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return Number.isFinite(total) && total <= Number.MAX_SAFE_INTEGER ? Math.round(total) : undefined;
}

/**
 * `value` of a `-ms` flag in whole milliseconds (a bare number is
 * milliseconds), or a UsageError naming `--flag`. Negative durations are refused.
 */
export function parseDurationMs(value: string, flag: string): number {
  const ms = durationMs(value, 1);
  if (ms === undefined) throw new UsageError(`--${flag} must be ${DURATION_FORMS}; got ${JSON.stringify(value)}`);
  return ms;
}

/** A positive duration where a bare number is seconds (`--wait 60`), in milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const ms = durationMs(text, 1_000);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

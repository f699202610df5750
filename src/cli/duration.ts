/**
 * @module cli/duration
 * Duration flags as k6, ghz and hey take them: `500ms`, `10s`, `2m`, `1h`,
 * decimals (`1.5s`) and sums (`1m30s`). The `-ms` flags (`--drain-timeout-ms`)
 * also take a bare number, read as milliseconds, so existing command lines
 * keep working.
 */
import { UsageError } from './usage';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** The accepted forms, for help texts and error messages. */
export const DURATION_FORMS = 'a number of milliseconds, or a duration with a unit: 500ms, 10s, 2m, 1h, 1m30s';

/**
 * `value` in whole milliseconds (rounded), or a UsageError naming `--flag`.
 * A bare number is milliseconds; negative durations are refused.
 */
export function parseDurationMs(value: string, flag: string): number {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  PART.lastIndex = 0;
  let matched = false;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) {
      matched = false;
      break;
    }
    matched = true;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  if (!matched || !Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`--${flag} must be ${DURATION_FORMS}; got ${JSON.stringify(value)}`);
  }
  return Math.round(total);
}

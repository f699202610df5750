/**
 * @module cli/duration
 * Durations on the command line (`--wait 60s`): a number with a unit (ms,
 * s, m, h), or a bare number of seconds.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds in `text`, or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 's'] as number);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

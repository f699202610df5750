/**
 * @module loadgen/stamp
 * Latency stamps. A benchmark change carries its own commit time inside the
 * resource, as the text `stamp-<round>-<epochMicros>` in a field every xDS
 * server passes through untouched (an endpoint's hostname, a virtual host's
 * domain). The loadgen finds stamps by scanning the received resource bytes,
 * so it measures latency the same way against any server and needs no hook
 * into the server under test.
 */

/** One stamp found in a received resource. */
export interface Stamp {
  /** The benchmark round that made the change. */
  readonly round: number;
  /** The writer's clock when it committed the change, in epoch microseconds. */
  readonly atMicros: number;
}

const MARKER = Buffer.from('stamp-', 'latin1');
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DASH = 0x2d;
/** Longest digit run we accept (epoch microseconds have 16 digits). */
const MAX_DIGITS = 17;

/** The stamp text for a round committed at `atMicros`. */
export function formatStamp(round: number, atMicros: number): string {
  return `stamp-${round}-${Math.round(atMicros)}`;
}

/**
 * Current wall-clock time in epoch microseconds, read from the system clock
 * now. Not `performance.timeOrigin + performance.now()`: that is the wall
 * clock at the process's (or worker's) start plus monotonic time since, and
 * when the system clock is slewed or stepped the two drift apart. Stamps are
 * compared across processes (the bench, the load generator's workers, the
 * servers' log times), so on a machine whose wall clock ran 5 ms/s ahead of
 * its monotonic clock (seen here on 2026-12-03) every latency was off by
 * 5 ms per second of the receiving process's age, and a step made some
 * negative. Millisecond resolution is enough: the servers' commit times
 * (their log lines) have no more.
 */
export function nowMicros(): number {
  return Date.now() * 1000;
}

function readDigits(buf: Uint8Array, pos: number): { value: number; end: number } | undefined {
  let value = 0;
  let end = pos;
  while (end < buf.length && end - pos < MAX_DIGITS) {
    const c = buf[end] as number;
    if (c < DIGIT_0 || c > DIGIT_9) break;
    value = value * 10 + (c - DIGIT_0);
    end++;
  }
  return end === pos ? undefined : { value, end };
}

/**
 * Every well-formed stamp in `bytes` (deduplicated by round). Runs only when
 * a response's content is seen for the first time in a worker, so a linear
 * scan is cheap enough.
 */
export function findStamps(bytes: Uint8Array, out: Stamp[] = []): Stamp[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let from = 0;
  for (;;) {
    const at = buf.indexOf(MARKER, from);
    if (at === -1) return out;
    from = at + MARKER.length;
    const round = readDigits(buf, from);
    if (!round || buf[round.end] !== DASH) continue;
    const time = readDigits(buf, round.end + 1);
    if (!time) continue;
    from = time.end;
    if (!out.some((s) => s.round === round.value)) out.push({ round: round.value, atMicros: time.value });
  }
}

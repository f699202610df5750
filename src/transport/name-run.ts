/**
 * @module transport/name-run
 * The bulk of both discovery requests is one field, number 3:
 * DiscoveryRequest.resource_names (every SotW ACK repeats its stream's whole
 * list) and DeltaDiscoveryRequest.resource_names_subscribe (a delta Envoy's
 * first subscribe to 1000 clusters). Clients write the names back to back,
 * and nearly all are shorter than 128 bytes, so each is a tag byte, a
 * one-byte length and the name. Stepping over that shape finds the end of a
 * 1000-name run without a wire-reader call per name; anything else (a longer
 * name, a length past the end, another field) ends the run, and the caller's
 * checked path reads it. Both decoders share this one walk
 * (transport/sotw-decoder.ts, transport/delta-decoder.ts), so a fix to it
 * holds for both.
 */

/** Tag of field 3, length-delimited: resource_names (SotW) and resource_names_subscribe (delta) alike. */
export const NAME_FIELD_TAG = 0x1a;

/**
 * Where the last {@link scanNameRun} stopped. The decoder keeps one and
 * passes it to every scan, so the hot path allocates no result object.
 */
export interface NameRun {
  /** Offset just past the run's last name (the start, when the run is empty). */
  end: number;
  /** Names in the run (at most the scan's limit plus one). */
  names: number;
}

/**
 * Walk the run of name fields at `from` whose lengths fit one byte (< 128)
 * and which lie wholly inside `bytes`; write its end and count into `run`
 * and return the count (0 when the field at `from` is not such a name).
 * The walk stops once the count passes `limit`, so a caller enforcing a
 * names limit refuses a huge request after reading one name too many, not
 * the whole run. A caller that counted the names already passes its limit
 * all the same, which then never stops the walk.
 */
export function scanNameRun(bytes: Buffer, from: number, limit: number, run: NameRun): number {
  let p = from;
  let names = 0;
  for (;;) {
    // A missing length byte reads as 0x80, which ends the run like any long length.
    const length = bytes[p + 1] ?? 0x80;
    const next = p + 2 + length;
    if (bytes[p] !== NAME_FIELD_TAG || length >= 0x80 || next > bytes.length) break;
    p = next;
    if (++names > limit) break;
  }
  run.end = p;
  run.names = names;
  return names;
}

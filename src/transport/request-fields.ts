/**
 * @module transport/request-fields
 * What the SotW and delta request decoders (sotw-decoder.ts,
 * delta-decoder.ts) share at the field level: the per-request limits they
 * enforce while reading, and the wire-type check of a known field. Kept
 * apart so neither decoder imports the other and a limit or check changed
 * here holds for both.
 */
import { LENGTH_DELIMITED, WireFormatError, wireTypeName } from '../xds/wire-reader';

/** Per-request limits the decoders enforce while reading (transport/limits.ts holds the defaults). */
export interface DecodeLimits {
  /** Names (and resource locators) one request may carry. */
  readonly maxNames?: number;
  /** Repeated entries the node may hold. */
  readonly maxNodeEntries?: number;
}

/** Every known field of both discovery requests is length-delimited (strings, messages, map entries). */
export function expectLengthDelimited(names: readonly string[], field: number, wireType: number, at: number): void {
  if (wireType !== LENGTH_DELIMITED) throw new WireFormatError(`field ${field} (${names[field] ?? 'unknown'}) is length-delimited but came as ${wireTypeName(wireType)} at byte ${at}`);
}

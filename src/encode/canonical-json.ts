/**
 * @module encode/canonical-json
 * A resource as one canonical proto3 JSON text: `"@type"` first, then every
 * object's keys sorted, no whitespace. This is what `fanout-xds apply`
 * writes to etcd, so a replica that parses the value feeds the encoder the
 * same data the file did and gets the same content hash (object key order
 * never reaches the encoding: fields encode in proto order and map keys are
 * sorted by the converter).
 *
 * Only values JSON can carry survive a round trip; a YAML `.nan` or `.inf`
 * would turn into `null` and change the resource, so it is refused here
 * with the path of the field instead.
 */

/** Outcome: the text, or the field that JSON cannot represent. */
export type CanonicalJsonResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly field: string; readonly message: string };

class NotJson extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function sorted(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotJson(path, `${String(value)} cannot be stored as JSON; write it as a string ("NaN", "Infinity" or "-Infinity")`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => sorted(v, `${path}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj).sort()) {
      // defineProperty: a key named "__proto__" stays an ordinary key, as JSON.parse makes it.
      Object.defineProperty(out, key, { value: sorted(obj[key], path === '' ? key : `${path}.${key}`), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  throw new NotJson(path, `a ${typeof value} value cannot be stored as JSON`);
}

/** `{"@type": typeUrl, ...body}` with sorted keys, or the field that cannot be written as JSON. */
export function canonicalResourceJson(typeUrl: string, body: Readonly<Record<string, unknown>>): CanonicalJsonResult {
  try {
    const rest = JSON.stringify(sorted(body, ''));
    return { ok: true, text: rest === '{}' ? `{"@type":${JSON.stringify(typeUrl)}}` : `{"@type":${JSON.stringify(typeUrl)},${rest.slice(1)}` };
  } catch (err) {
    if (err instanceof NotJson) return { ok: false, field: err.field, message: err.message };
    throw err;
  }
}

/** Any JSON-able value with every object's keys sorted: stable text for comparing non-resource values (node groups). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value, ''));
}

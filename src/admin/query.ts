/**
 * @module admin/query
 * What admin queries share: an answer is a status and a JSON body, and a
 * query parameter the endpoint does not know is a 400 that names it and the
 * accepted ones (a typo must not silently widen the answer).
 */
import { clientString } from '../observe/client-string';

/** One admin answer: HTTP status and a JSON-able body. */
export interface AdminAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** A 400 answer for the first parameter not in `accepted`, or undefined when all are known. */
export function unknownParameter(params: URLSearchParams, accepted: readonly string[], endpoint: string): AdminAnswer | undefined {
  for (const key of params.keys()) {
    if (accepted.includes(key)) continue;
    return { status: 400, body: { error: `unknown query parameter ${JSON.stringify(clientString(key))} for ${endpoint}; it accepts ${accepted.map((a) => `?${a}=`).join(', ')}` } };
  }
  return undefined;
}

/**
 * @module stream/type-url-check
 * Which type a request is for. On ADS every request must name its type; a
 * per-type service (CDS, EDS, …) serves one type and may be sent requests
 * with `type_url` left empty. Kept apart from the stream skeleton
 * (stream-base.ts) because the rule needs only the service's fixed type.
 */
import { clientString } from '../observe/client-string';
import { INVALID_ARGUMENT, StreamRequestError } from './stream-context';

/**
 * Resolve the type URL of a request: per-type services (`fixedTypeUrl`)
 * may leave it empty. Throws StreamRequestError for an empty type URL on
 * ADS, or another type than a per-type service serves.
 */
export function resolveTypeUrl(fixedTypeUrl: string | undefined, requested: string): string {
  if (fixedTypeUrl !== undefined) {
    if (requested !== '' && requested !== fixedTypeUrl) {
      throw new StreamRequestError(INVALID_ARGUMENT, `this service serves ${fixedTypeUrl} only; the request asked for ${clientString(requested)}`);
    }
    return fixedTypeUrl;
  }
  if (requested === '') throw new StreamRequestError(INVALID_ARGUMENT, 'type_url is empty; an ADS request must name the resource type');
  return requested;
}

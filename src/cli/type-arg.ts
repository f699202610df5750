/**
 * @module cli/type-arg
 * A TYPE argument (`cluster`, `Cluster`, `cla`, `eds`, a full message name or
 * type URL) → the type URL, checked against the loaded protos so a typo is a
 * usage error rather than an empty answer.
 */
import { loadProtoRoot, lookupMessage } from '../xds/proto-root';
import { messageNameOf } from '../xds/type-urls';
import { TYPE_NAME_EXAMPLES, typeUrlFromName } from '../xds/type-names';
import { UsageError } from './usage';

/** The type URL for `name`, or a UsageError listing what is accepted. */
export function resolveType(name: string, help: string): string {
  const typeUrl = typeUrlFromName(name);
  if (typeUrl === undefined || lookupMessage(loadProtoRoot(), messageNameOf(typeUrl)) === undefined) {
    throw new UsageError(`unknown resource type "${name}"; use ${TYPE_NAME_EXAMPLES}`, help);
  }
  return typeUrl;
}

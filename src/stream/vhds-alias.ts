/**
 * @module stream/vhds-alias
 * VHDS on-demand names (docs/protocol.md C24): Envoy subscribes to
 * `route_config/host` aliases. A match is sent as the virtual host with the
 * alias listed; an alias nothing matches is answered with
 * `Resource{name: alias, aliases: [alias]}` and no resource, so Envoy stops
 * waiting for it.
 */
import { lengthDelimited, lengthDelimitedPayload, stringField } from '../xds/wire';
import type { EncodedResource } from '../encode';
import type { TypeView } from '../store';
import type { DeltaEntry } from './sink';

/** The virtual host an alias names, if any (linear scan: VHDS misses are rare). */
export function resolveAlias(view: TypeView, alias: string): EncodedResource | undefined {
  for (const r of view.values()) if (r.aliases.includes(alias)) return r;
  return undefined;
}

/** The stored delta entry with `aliases: [alias]` added (field 4 of Resource). */
export function aliasedEntry(resource: EncodedResource, alias: string): DeltaEntry {
  const inner = lengthDelimitedPayload(resource.deltaEntry);
  return { name: resource.name, version: resource.version, deltaEntry: lengthDelimited(2, Buffer.concat([inner, stringField(4, alias)])) };
}

/** `Resource{name: alias, aliases: [alias]}` with no resource: "this alias resolves to nothing". */
export function unresolvedAliasEntry(alias: string): DeltaEntry {
  return { name: alias, version: '', deltaEntry: lengthDelimited(2, Buffer.concat([stringField(3, alias), stringField(4, alias)])) };
}

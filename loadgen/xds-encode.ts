/**
 * @module loadgen/xds-encode
 * Hand-encoded DiscoveryRequest and DeltaDiscoveryRequest (field numbers:
 * docs/protocol.md §Field numbers). Name lists are encoded once per
 * distinct list ({@link NameSet.encoded}) and shared by every node that
 * sends them, so an ACK costs one concat, not one encode per name.
 */
import { lengthDelimited, stringField, varintField } from '../src/xds/wire';

/** Envoy's NACK status code (INTERNAL) for a config it rejects. */
export const NACK_STATUS_CODE = 13;

/** `envoy.config.core.v3.Node` bytes for a simulated node. */
export function encodeNode(id: string, cluster: string, userAgent: string, userAgentVersion: string): Buffer {
  return Buffer.concat([stringField(1, id), stringField(2, cluster), stringField(6, userAgent), stringField(7, userAgentVersion)]);
}

/** `google.rpc.Status` bytes for a NACK. */
export function encodeStatus(code: number, message: string): Buffer {
  return Buffer.concat([varintField(1, code), stringField(2, message)]);
}

/** Repeated string field `fieldNumber` with every name. */
export function encodeRepeatedString(fieldNumber: number, names: readonly string[]): Buffer {
  return Buffer.concat(names.map((n) => stringField(fieldNumber, n)));
}

/**
 * Pre-encoded `type_url` fields, built once per field number and type URL.
 * Keyed by the type URL string itself (a constant whose hash V8 keeps), not
 * a concatenated key: building and hashing that on every ACK was 2.6% of a
 * loadgen worker's CPU.
 */
const typeUrlFieldCache = new Map<number, Map<string, Buffer>>();
function typeUrlField(fieldNumber: number, typeUrl: string): Buffer {
  let byUrl = typeUrlFieldCache.get(fieldNumber);
  if (!byUrl) {
    byUrl = new Map();
    typeUrlFieldCache.set(fieldNumber, byUrl);
  }
  let field = byUrl.get(typeUrl);
  if (!field) {
    field = stringField(fieldNumber, typeUrl);
    byUrl.set(typeUrl, field);
  }
  return field;
}

const EMPTY = Buffer.alloc(0);

/** Fields of a SotW DiscoveryRequest. */
export interface SotwRequestParts {
  readonly typeUrl: string;
  readonly versionInfo: string;
  /** Pre-encoded resource_names (field 3), or empty for a wildcard. */
  readonly resourceNames: Buffer;
  readonly nonce: string;
  /** Node bytes, sent on a stream's first request only. */
  readonly node?: Buffer;
  /** google.rpc.Status bytes: present makes this a NACK. */
  readonly errorDetail?: Buffer;
}

/** Encode a SotW DiscoveryRequest. */
export function encodeSotwRequest(p: SotwRequestParts): Buffer {
  return Buffer.concat([
    p.versionInfo ? stringField(1, p.versionInfo) : EMPTY,
    p.node ? lengthDelimited(2, p.node) : EMPTY,
    p.resourceNames,
    typeUrlField(4, p.typeUrl),
    p.nonce ? stringField(5, p.nonce) : EMPTY,
    p.errorDetail ? lengthDelimited(6, p.errorDetail) : EMPTY,
  ]);
}

/** Fields of a DeltaDiscoveryRequest. */
export interface DeltaRequestParts {
  readonly typeUrl: string;
  readonly node?: Buffer;
  /** Pre-encoded resource_names_subscribe (field 3). */
  readonly subscribe?: Buffer;
  /** Pre-encoded resource_names_unsubscribe (field 4). */
  readonly unsubscribe?: Buffer;
  /** Pre-encoded initial_resource_versions entries (field 5). */
  readonly initialVersions?: Buffer;
  readonly nonce?: string;
  readonly errorDetail?: Buffer;
}

/** Encode a DeltaDiscoveryRequest. */
export function encodeDeltaRequest(p: DeltaRequestParts): Buffer {
  return Buffer.concat([
    p.node ? lengthDelimited(1, p.node) : EMPTY,
    typeUrlField(2, p.typeUrl),
    p.subscribe ?? EMPTY,
    p.unsubscribe ?? EMPTY,
    p.initialVersions ?? EMPTY,
    p.nonce ? stringField(6, p.nonce) : EMPTY,
    p.errorDetail ? lengthDelimited(7, p.errorDetail) : EMPTY,
  ]);
}

/** initial_resource_versions (field 5, map<string,string>) entries. */
export function encodeInitialVersions(entries: Iterable<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, version] of entries) {
    parts.push(lengthDelimited(5, Buffer.concat([stringField(1, name), stringField(2, version)])));
  }
  return Buffer.concat(parts);
}

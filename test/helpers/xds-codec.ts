/**
 * @module test/helpers/xds-codec
 * The test client's own protobuf layer: builds DiscoveryRequest /
 * DeltaDiscoveryRequest bytes from plain objects and decodes responses into
 * a variant-neutral {@link Received} shape, using protobufjs reflection on
 * the shared Envoy proto root. It deliberately shares nothing with the
 * server's hand-written wire code, so a server encoding bug cannot hide
 * behind a matching client bug.
 */
import type * as protobuf from 'protobufjs';
import { loadProtoRoot } from '../../src/xds/proto-root';

/** Which protocol variant a stream speaks. */
export type Variant = 'sotw' | 'delta';

/** The node a test client announces. `metadata` values are strings (a Struct of string values). */
export interface NodeSpec {
  readonly id: string;
  readonly cluster?: string;
  readonly clientFeatures?: readonly string[];
  readonly metadata?: Readonly<Record<string, string>>;
}

/** google.rpc.Status as a client sends it in `error_detail`. */
export interface ErrorDetail {
  readonly code: number;
  readonly message: string;
}

/** A state-of-the-world request (field names as in discovery.proto, camelCase). */
export interface SotwRequest {
  readonly typeUrl: string;
  readonly versionInfo?: string;
  readonly resourceNames?: readonly string[];
  readonly responseNonce?: string;
  readonly errorDetail?: ErrorDetail;
  /** `null` forces no node even on the first request; undefined lets the client decide. */
  readonly node?: NodeSpec | null;
}

/** An incremental request. */
export interface DeltaRequest {
  readonly typeUrl: string;
  readonly resourceNamesSubscribe?: readonly string[];
  readonly resourceNamesUnsubscribe?: readonly string[];
  readonly initialResourceVersions?: Readonly<Record<string, string>>;
  readonly responseNonce?: string;
  readonly errorDetail?: ErrorDetail;
  readonly node?: NodeSpec | null;
}

/** One resource as received, whichever variant carried it. */
export interface ReceivedResource {
  /** Resource name: the `Resource.name` (delta / SotW wrapper) or the body's name / cluster_name. */
  readonly name: string;
  /** Per-resource version (delta and SotW wrapper only). */
  readonly version?: string;
  /** `Any.type_url` of the resource body, undefined when no body was sent. */
  readonly typeUrl?: string;
  /** The body decoded to proto3-JSON-like form (camelCase, enums as names, nested Any with `@type`). */
  readonly body?: Record<string, unknown>;
  /** Raw bytes of the body, for byte-level comparisons. */
  readonly bodyBytes?: Uint8Array;
  readonly aliases: readonly string[];
  readonly ttl?: { readonly seconds: string; readonly nanos: number };
  /** True when a SotW response wrapped it in envoy.service.discovery.v3.Resource. */
  readonly wrapped: boolean;
  /** Problems found while decoding (reported as invariant violations). */
  readonly problems: readonly string[];
}

/** One response as received, in a shape shared by both variants. */
export interface Received {
  readonly variant: Variant;
  readonly typeUrl: string;
  readonly nonce: string;
  /** SotW `version_info`, delta `system_version_info`. */
  readonly versionInfo: string;
  readonly resources: readonly ReceivedResource[];
  /** Delta `removed_resources`; always empty for SotW. */
  readonly removed: readonly string[];
  /** Names of `resources`, in order. */
  readonly names: readonly string[];
  /** Position in the stream (0 = first response on it). */
  readonly index: number;
  /** Size of the response message in bytes. */
  readonly bytes: number;
}

/** The SotW wrapper type (rule A3 exception). */
export const DISCOVERY_RESOURCE_TYPE = 'type.googleapis.com/envoy.service.discovery.v3.Resource';

interface Types {
  readonly root: protobuf.Root;
  readonly request: protobuf.Type;
  readonly response: protobuf.Type;
  readonly deltaRequest: protobuf.Type;
  readonly deltaResponse: protobuf.Type;
  readonly resource: protobuf.Type;
}

let types: Types | undefined;

/** Discovery message types from the shared root, looked up once. */
export function discoveryTypes(): Types {
  if (types) return types;
  const root = loadProtoRoot();
  types = {
    root,
    request: root.lookupType('envoy.service.discovery.v3.DiscoveryRequest'),
    response: root.lookupType('envoy.service.discovery.v3.DiscoveryResponse'),
    deltaRequest: root.lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest'),
    deltaResponse: root.lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse'),
    resource: root.lookupType('envoy.service.discovery.v3.Resource'),
  };
  return types;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

function nodeObject(node: NodeSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { id: node.id };
  if (node.cluster !== undefined) out['cluster'] = node.cluster;
  if (node.clientFeatures) out['clientFeatures'] = [...node.clientFeatures];
  if (node.metadata) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node.metadata)) fields[k] = { stringValue: v };
    out['metadata'] = { fields };
  }
  return out;
}

/** Encode a SotW request; `node` (if any) is the one to put on the wire. */
export function encodeSotwRequest(req: SotwRequest, node: NodeSpec | undefined): Buffer {
  const t = discoveryTypes().request;
  const obj: Record<string, unknown> = { typeUrl: req.typeUrl };
  if (req.versionInfo !== undefined) obj['versionInfo'] = req.versionInfo;
  if (req.resourceNames) obj['resourceNames'] = [...req.resourceNames];
  if (req.responseNonce !== undefined) obj['responseNonce'] = req.responseNonce;
  if (req.errorDetail) obj['errorDetail'] = { ...req.errorDetail };
  if (node) obj['node'] = nodeObject(node);
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

/** Encode a delta request. */
export function encodeDeltaRequest(req: DeltaRequest, node: NodeSpec | undefined): Buffer {
  const t = discoveryTypes().deltaRequest;
  const obj: Record<string, unknown> = { typeUrl: req.typeUrl };
  if (req.resourceNamesSubscribe) obj['resourceNamesSubscribe'] = [...req.resourceNamesSubscribe];
  if (req.resourceNamesUnsubscribe) obj['resourceNamesUnsubscribe'] = [...req.resourceNamesUnsubscribe];
  if (req.initialResourceVersions) obj['initialResourceVersions'] = { ...req.initialResourceVersions };
  if (req.responseNonce !== undefined) obj['responseNonce'] = req.responseNonce;
  if (req.errorDetail) obj['errorDetail'] = { ...req.errorDetail };
  if (node) obj['node'] = nodeObject(node);
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

/** google.protobuf.Any as protobufjs decodes it: its built-in Any keeps the snake_case `type_url`. */
interface AnyLike {
  typeUrl?: string;
  type_url?: string;
  value?: Uint8Array;
}

function anyTypeUrl(any: AnyLike): string | undefined {
  return any.typeUrl ?? any.type_url;
}

function messageTypeOf(typeUrl: string): protobuf.Type | undefined {
  if (typeUrl === '') return undefined;
  const slash = typeUrl.lastIndexOf('/');
  try {
    return discoveryTypes().root.lookupType(slash === -1 ? typeUrl : typeUrl.slice(slash + 1));
  } catch {
    return undefined;
  }
}

/** Decode an Any's body into JSON-like form; problems are appended, not thrown. */
export function decodeAny(any: AnyLike, problems: string[]): Record<string, unknown> | undefined {
  const typeUrl = anyTypeUrl(any) ?? '';
  const type = messageTypeOf(typeUrl);
  if (!type) {
    problems.push(`no proto for inner type_url "${typeUrl}"`);
    return undefined;
  }
  try {
    return type.toObject(type.decode(any.value ?? new Uint8Array()), TO_OBJECT) as Record<string, unknown>;
  } catch (err) {
    problems.push(`inner ${typeUrl} does not decode: ${(err as Error).message}`);
    return undefined;
  }
}

function bodyName(body: Record<string, unknown> | undefined): string {
  if (!body) return '';
  const name = body['name'] ?? body['clusterName'];
  return typeof name === 'string' ? name : '';
}

interface ResourceMsg {
  name?: string;
  version?: string;
  aliases?: string[];
  resource?: AnyLike;
  ttl?: { seconds?: unknown; nanos?: number };
}

function fromResourceMessage(r: ResourceMsg, wrapped: boolean): ReceivedResource {
  const problems: string[] = [];
  const body = r.resource ? decodeAny(r.resource, problems) : undefined;
  return {
    // A SotW wrapper may leave `name` empty; the body still names the resource.
    name: r.name || (wrapped ? bodyName(body) : ''),
    version: r.version,
    typeUrl: r.resource ? anyTypeUrl(r.resource) : undefined,
    body,
    bodyBytes: r.resource?.value,
    aliases: r.aliases ?? [],
    ttl: r.ttl ? { seconds: String(r.ttl.seconds ?? '0'), nanos: r.ttl.nanos ?? 0 } : undefined,
    wrapped,
    problems,
  };
}

function sotwResource(any: AnyLike): ReceivedResource {
  if (anyTypeUrl(any) === DISCOVERY_RESOURCE_TYPE) {
    const t = discoveryTypes().resource;
    try {
      return fromResourceMessage(t.decode(any.value ?? new Uint8Array()) as unknown as ResourceMsg, true);
    } catch (err) {
      return { name: '', aliases: [], wrapped: true, problems: [`Resource wrapper does not decode: ${(err as Error).message}`] };
    }
  }
  const problems: string[] = [];
  const body = decodeAny(any, problems);
  return { name: bodyName(body), typeUrl: anyTypeUrl(any), body, bodyBytes: any.value, aliases: [], wrapped: false, problems };
}

/** Decode one response; throws only if the outer message itself is not protobuf. */
export function decodeResponse(variant: Variant, bytes: Buffer, index: number): Received {
  const t = discoveryTypes();
  if (variant === 'sotw') {
    const m = t.response.decode(bytes) as unknown as { versionInfo?: string; typeUrl?: string; nonce?: string; resources?: AnyLike[] };
    const resources = (m.resources ?? []).map(sotwResource);
    return {
      variant,
      typeUrl: m.typeUrl ?? '',
      nonce: m.nonce ?? '',
      versionInfo: m.versionInfo ?? '',
      resources,
      removed: [],
      names: resources.map((r) => r.name),
      index,
      bytes: bytes.length,
    };
  }
  const m = t.deltaResponse.decode(bytes) as unknown as {
    systemVersionInfo?: string;
    typeUrl?: string;
    nonce?: string;
    resources?: ResourceMsg[];
    removedResources?: string[];
  };
  const resources = (m.resources ?? []).map((r) => fromResourceMessage(r, false));
  return {
    variant,
    typeUrl: m.typeUrl ?? '',
    nonce: m.nonce ?? '',
    versionInfo: m.systemVersionInfo ?? '',
    resources,
    removed: m.removedResources ?? [],
    names: resources.map((r) => r.name),
    index,
    bytes: bytes.length,
  };
}

/**
 * @module transport/codec
 * Request decoding (protobufjs reflection, once per request) into the plain
 * shapes stream/ works with. Responses need no encoder: they are assembled
 * from stored bytes (response-builder.ts) and the gRPC serializer passes the
 * Buffer through.
 */
import type * as protobuf from 'protobufjs';
import type { DeltaRequest, NodeInfo, SotwRequest } from '../stream';

/** Thrown for bytes that are not a valid request; ends only that stream. */
export class MalformedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRequestError';
  }
}

type Msg = Record<string, unknown>;

/** Decoders bound to one proto root. */
export class RequestCodec {
  readonly #sotw: protobuf.Type;
  readonly #delta: protobuf.Type;

  constructor(root: protobuf.Root) {
    this.#sotw = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
    this.#delta = root.lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  }

  /** Decode a DiscoveryRequest. */
  decodeSotw(bytes: Buffer): SotwRequest {
    const m = this.#decode(this.#sotw, bytes);
    const status = m['errorDetail'] as Msg | undefined;
    return {
      versionInfo: str(m['versionInfo']),
      node: m['node'] ? nodeOf(m['node'] as Msg) : undefined,
      resourceNames: (m['resourceNames'] as string[] | undefined) ?? [],
      typeUrl: str(m['typeUrl']),
      responseNonce: str(m['responseNonce']),
      errorDetail: status ? { code: Number(status['code'] ?? 0), message: str(status['message']) } : undefined,
    };
  }

  /** Decode a DeltaDiscoveryRequest. */
  decodeDelta(bytes: Buffer): DeltaRequest {
    const m = this.#decode(this.#delta, bytes);
    const status = m['errorDetail'] as Msg | undefined;
    const initial = (m['initialResourceVersions'] as Record<string, string> | undefined) ?? {};
    return {
      node: m['node'] ? nodeOf(m['node'] as Msg) : undefined,
      typeUrl: str(m['typeUrl']),
      subscribe: (m['resourceNamesSubscribe'] as string[] | undefined) ?? [],
      unsubscribe: (m['resourceNamesUnsubscribe'] as string[] | undefined) ?? [],
      initialVersions: new Map(Object.entries(initial)),
      responseNonce: str(m['responseNonce']),
      errorDetail: status ? { code: Number(status['code'] ?? 0), message: str(status['message']) } : undefined,
    };
  }

  #decode(type: protobuf.Type, bytes: Buffer): Msg {
    try {
      return type.decode(bytes) as unknown as Msg;
    } catch (err) {
      throw new MalformedRequestError(`request is not a valid ${type.name}: ${(err as Error).message}`);
    }
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function nodeOf(n: Msg): NodeInfo {
  const version = (n['userAgentVersion'] as string | undefined) ?? '';
  return {
    id: str(n['id']),
    cluster: str(n['cluster']),
    metadata: n['metadata'] ? structToJson(n['metadata'] as Msg) : {},
    clientFeatures: (n['clientFeatures'] as string[] | undefined) ?? [],
    userAgent: [str(n['userAgentName']), version].filter((s) => s !== '').join('/'),
  };
}

/** google.protobuf.Struct (as decoded by protobufjs) → plain JSON. */
function structToJson(s: Msg): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = (s['fields'] as Record<string, Msg> | undefined) ?? {};
  for (const [k, v] of Object.entries(fields)) out[k] = valueToJson(v);
  return out;
}

function valueToJson(v: Msg): unknown {
  if ('stringValue' in v) return v['stringValue'];
  if ('numberValue' in v) return v['numberValue'];
  if ('boolValue' in v) return v['boolValue'];
  if ('structValue' in v) return structToJson(v['structValue'] as Msg);
  if ('listValue' in v) return (((v['listValue'] as Msg)['values'] as Msg[] | undefined) ?? []).map(valueToJson);
  return null;
}

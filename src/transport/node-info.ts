/**
 * @module transport/node-info
 * `envoy.config.core.v3.Node`, as protobufjs decodes it, to the NodeInfo
 * streams keep (id, cluster, metadata as plain JSON, features, user agent).
 */
import type { NodeInfo } from '../stream';

type Msg = Record<string, unknown>;

/** A string field's value, or '' when absent. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The NodeInfo of a decoded Node message. */
export function nodeOf(n: Msg): NodeInfo {
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

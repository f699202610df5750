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

/** google.protobuf.Value → JSON. Its `kind` oneof is the member present as an own property: a decoded message inherits every member's default from its prototype, so `in` would always see `stringValue`. */
function valueToJson(v: Msg): unknown {
  const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(v, key) && v[key] !== null && v[key] !== undefined;
  if (has('stringValue')) return v['stringValue'];
  if (has('numberValue')) return v['numberValue'];
  if (has('boolValue')) return v['boolValue'];
  if (has('structValue')) return structToJson(v['structValue'] as Msg);
  if (has('listValue')) return (((v['listValue'] as Msg)['values'] as Msg[] | undefined) ?? []).map(valueToJson);
  return null;
}

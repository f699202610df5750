/**
 * @module loadgen/xds-decode
 * Reads the few fields a simulated Envoy needs from xDS responses and
 * resources, straight off the wire (field numbers:
 * docs/protocol.md §Field numbers and the Envoy v3 protos):
 *
 * - DiscoveryResponse / DeltaDiscoveryResponse envelopes, Resource, Any;
 * - Cluster: name, type, eds_cluster_config.service_name (what EDS to ask for);
 * - Listener: the HCM's rds.route_config_name in each filter chain (what RDS to ask for);
 * - anything else: its name (field 1; ClusterLoadAssignment.cluster_name is field 1 too).
 *
 * Resource payloads are returned as views, never copied, and each response's
 * resource bytes are also returned as one `contentKey` so a worker can tell
 * that two nodes received identical content with a memcmp.
 */
import { CLUSTER, DISCOVERY_RESOURCE, LISTENER } from '../src/xds/type-urls';
import { FieldCursor, MalformedMessageError, WIRE_LENGTH_DELIMITED, WIRE_VARINT } from './proto-reader';

const HCM_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
/** `Cluster.DiscoveryType.EDS`. */
const CLUSTER_TYPE_EDS = 3;

/** The envelope of a SotW DiscoveryResponse. */
export interface SotwResponse {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /**
   * `resources` entries as [start, end) offsets of each Any's bytes in
   * `message`: views are made only on a transition-cache miss (see
   * {@link resourcesOf}), since most nodes need nothing but the key.
   */
  readonly resourceSpans: number[];
  readonly message: Buffer;
  /** The resources' bytes as one buffer: equal keys mean equal content. */
  readonly contentKey: Buffer;
}

/** The envelope of a DeltaDiscoveryResponse. */
export interface DeltaResponse {
  readonly systemVersionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** Each entry: offsets of one `envoy.service.discovery.v3.Resource` in `message`. */
  readonly resourceSpans: number[];
  readonly message: Buffer;
  /** removed_resources, decoded only on a cache miss. */
  readonly removedSpans: number[];
  /** `resources` and `removed_resources` bytes as one buffer. */
  readonly contentKey: Buffer;
}

/** What a resource means to a simulated Envoy. */
export interface ResourceInfo {
  readonly name: string;
  /** Delta only: the server's version for it. */
  readonly version: string;
  /** Names of the dependent type it references: EDS names of a Cluster, RDS names of a Listener. */
  readonly deps: readonly string[];
  /** The payload (Any.value), for stamp scanning. Undefined for a delta Resource without body. */
  readonly body: Buffer | undefined;
}

/** Join spans of one buffer into one key, without copying when they are contiguous. */
function spansKey(buf: Buffer, spans: number[]): Buffer {
  if (spans.length === 0) return Buffer.alloc(0);
  let contiguous = true;
  for (let i = 2; i < spans.length; i += 2) {
    if (spans[i] !== spans[i - 1]) {
      contiguous = false;
      break;
    }
  }
  if (contiguous) return buf.subarray(spans[0], spans[spans.length - 1]);
  const parts: Buffer[] = [];
  for (let i = 0; i < spans.length; i += 2) parts.push(buf.subarray(spans[i], spans[i + 1]));
  return Buffer.concat(parts);
}

/** Decode a SotW DiscoveryResponse envelope. */
export function decodeSotwResponse(buf: Buffer): SotwResponse {
  const c = new FieldCursor(buf);
  let versionInfo = '';
  let typeUrl = '';
  let nonce = '';
  const resourceSpans: number[] = [];
  const spans: number[] = [];
  let fieldStart = 0;
  while (c.next()) {
    if (c.wireType === WIRE_LENGTH_DELIMITED) {
      switch (c.field) {
        case 1:
          versionInfo = c.string();
          break;
        case 2:
          resourceSpans.push(c.start, c.end);
          spans.push(fieldStart, c.end);
          break;
        case 4:
          typeUrl = c.string();
          break;
        case 5:
          nonce = c.string();
          break;
        default:
          break;
      }
    }
    fieldStart = c.end;
  }
  return { versionInfo, typeUrl, nonce, resourceSpans, message: buf, contentKey: spansKey(buf, spans) };
}

/** Decode a DeltaDiscoveryResponse envelope. */
export function decodeDeltaResponse(buf: Buffer): DeltaResponse {
  const c = new FieldCursor(buf);
  let systemVersionInfo = '';
  let typeUrl = '';
  let nonce = '';
  const resourceSpans: number[] = [];
  const removedSpans: number[] = [];
  const spans: number[] = [];
  let fieldStart = 0;
  while (c.next()) {
    if (c.wireType === WIRE_LENGTH_DELIMITED) {
      switch (c.field) {
        case 1:
          systemVersionInfo = c.string();
          break;
        case 2:
          resourceSpans.push(c.start, c.end);
          spans.push(fieldStart, c.end);
          break;
        case 4:
          typeUrl = c.string();
          break;
        case 5:
          nonce = c.string();
          break;
        case 6:
          removedSpans.push(c.start, c.end);
          spans.push(fieldStart, c.end);
          break;
        default:
          break;
      }
    }
    fieldStart = c.end;
  }
  return { systemVersionInfo, typeUrl, nonce, resourceSpans, removedSpans, message: buf, contentKey: spansKey(buf, spans) };
}

/** Views of a response's resources (SotW: Any bytes; delta: Resource bytes). */
export function resourcesOf(r: SotwResponse | DeltaResponse): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < r.resourceSpans.length; i += 2) out.push(r.message.subarray(r.resourceSpans[i], r.resourceSpans[i + 1]));
  return out;
}

/** A delta response's removed_resources names. */
export function removedOf(r: DeltaResponse): string[] {
  const out: string[] = [];
  for (let i = 0; i < r.removedSpans.length; i += 2) out.push(r.message.toString('utf8', r.removedSpans[i], r.removedSpans[i + 1]));
  return out;
}

/** `google.protobuf.Any` → [type_url, value]. */
function readAny(buf: Buffer): [string, Buffer] {
  const c = new FieldCursor(buf);
  let typeUrl = '';
  let value: Buffer = Buffer.alloc(0);
  while (c.next()) {
    if (c.wireType !== WIRE_LENGTH_DELIMITED) continue;
    if (c.field === 1) typeUrl = c.string();
    else if (c.field === 2) value = c.bytes();
  }
  return [typeUrl, value];
}

/** A discovery `Resource` message → its fields (name 3, version 1, resource 2). */
function readResourceEnvelope(buf: Buffer): { name: string; version: string; any: Buffer | undefined } {
  const c = new FieldCursor(buf);
  let name = '';
  let version = '';
  let any: Buffer | undefined;
  while (c.next()) {
    if (c.wireType !== WIRE_LENGTH_DELIMITED) continue;
    if (c.field === 3) name = c.string();
    else if (c.field === 1) version = c.string();
    else if (c.field === 2) any = c.bytes();
  }
  return { name, version, any };
}

/** First string field 1 of a message (the name of nearly every xDS resource). */
function readName(body: Buffer): string {
  const c = new FieldCursor(body);
  while (c.next()) if (c.field === 1 && c.wireType === WIRE_LENGTH_DELIMITED) return c.string();
  return '';
}

/** Cluster → [name, EDS name or undefined]. */
function readCluster(body: Buffer): [string, string | undefined] {
  const c = new FieldCursor(body);
  let name = '';
  let type = 0;
  let serviceName = '';
  while (c.next()) {
    if (c.field === 1 && c.wireType === WIRE_LENGTH_DELIMITED) name = c.string();
    else if (c.field === 2 && c.wireType === WIRE_VARINT) type = c.value;
    else if (c.field === 3 && c.wireType === WIRE_LENGTH_DELIMITED) {
      const eds = c.sub();
      while (eds.next()) if (eds.field === 2 && eds.wireType === WIRE_LENGTH_DELIMITED) serviceName = eds.string();
    }
  }
  return [name, type === CLUSTER_TYPE_EDS ? serviceName || name : undefined];
}

/** An HCM (Any.value) → its RDS route_config_name, if it uses RDS. */
function readHcmRouteName(hcm: Buffer): string | undefined {
  const c = new FieldCursor(hcm);
  while (c.next()) {
    if (c.field === 3 && c.wireType === WIRE_LENGTH_DELIMITED) {
      const rds = c.sub();
      while (rds.next()) if (rds.field === 2 && rds.wireType === WIRE_LENGTH_DELIMITED) return rds.string();
    }
  }
  return undefined;
}

/** A typed_config Any holding an HCM → its route name. */
function routeNameOfTypedConfig(anyBytes: Buffer, out: string[]): void {
  const [typeUrl, value] = readAny(anyBytes);
  if (typeUrl !== HCM_TYPE_URL) return;
  const route = readHcmRouteName(value);
  if (route !== undefined && !out.includes(route)) out.push(route);
}

/** FilterChain → route names of its HCM filters (filters = 3, Filter.typed_config = 4). */
function readFilterChain(chain: FieldCursor, out: string[]): void {
  while (chain.next()) {
    if (chain.field !== 3 || chain.wireType !== WIRE_LENGTH_DELIMITED) continue;
    const filter = chain.sub();
    while (filter.next()) {
      if (filter.field === 4 && filter.wireType === WIRE_LENGTH_DELIMITED) routeNameOfTypedConfig(filter.bytes(), out);
    }
  }
}

/** Listener → [name, RDS names]: filter_chains (3), default_filter_chain (25), api_listener (19). */
function readListener(body: Buffer): [string, string[]] {
  const c = new FieldCursor(body);
  let name = '';
  const routes: string[] = [];
  while (c.next()) {
    if (c.wireType !== WIRE_LENGTH_DELIMITED) continue;
    if (c.field === 1) name = c.string();
    else if (c.field === 3 || c.field === 25) readFilterChain(c.sub(), routes);
    else if (c.field === 19) {
      const api = c.sub();
      while (api.next()) if (api.field === 1 && api.wireType === WIRE_LENGTH_DELIMITED) routeNameOfTypedConfig(api.bytes(), routes);
    }
  }
  return [name, routes];
}

const NO_DEPS: readonly string[] = Object.freeze([]);

/** Decode the body of a resource of `typeUrl` into what the node needs. */
function infoOf(typeUrl: string, body: Buffer, name: string, version: string): ResourceInfo {
  if (typeUrl === CLUSTER) {
    const [clusterName, eds] = readCluster(body);
    return { name: name || clusterName, version, deps: eds === undefined ? NO_DEPS : [eds], body };
  }
  if (typeUrl === LISTENER) {
    const [listenerName, routes] = readListener(body);
    return { name: name || listenerName, version, deps: routes.length ? routes : NO_DEPS, body };
  }
  return { name: name || readName(body), version, deps: NO_DEPS, body };
}

/**
 * One SotW `resources` entry (an Any) → its info. Accepts the
 * `envoy.service.discovery.v3.Resource` wrapper (rule A3). Throws
 * {@link MalformedMessageError} on a type mismatch, which Envoy NACKs.
 */
export function decodeSotwResource(expectedTypeUrl: string, any: Buffer): ResourceInfo {
  let [typeUrl, value] = readAny(any);
  let name = '';
  let version = '';
  if (typeUrl === DISCOVERY_RESOURCE) {
    const env = readResourceEnvelope(value);
    if (!env.any) throw new MalformedMessageError('SotW Resource wrapper without a resource');
    name = env.name;
    version = env.version;
    [typeUrl, value] = readAny(env.any);
  }
  if (typeUrl !== expectedTypeUrl) throw new MalformedMessageError(`resource type ${typeUrl} in a ${expectedTypeUrl} response`);
  return infoOf(typeUrl, value, name, version);
}

/** One delta `Resource` → its info (a Resource without body, e.g. a TTL heartbeat, has body undefined). */
export function decodeDeltaResource(expectedTypeUrl: string, resource: Buffer): ResourceInfo {
  const env = readResourceEnvelope(resource);
  if (!env.any) return { name: env.name, version: env.version, deps: NO_DEPS, body: undefined };
  const [typeUrl, value] = readAny(env.any);
  if (typeUrl !== expectedTypeUrl) throw new MalformedMessageError(`resource type ${typeUrl} in a ${expectedTypeUrl} response`);
  return infoOf(typeUrl, value, env.name, env.version);
}

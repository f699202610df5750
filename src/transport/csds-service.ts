/**
 * @module transport/csds-service
 * Client Status Discovery Service (envoy.service.status.v3): any CSDS client
 * can ask which configuration each connected node actually has, per
 * resource: ACKED, NACKED, or still on its way. Not a hot path, so responses
 * are encoded with protobufjs reflection.
 */
import * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { lengthDelimitedPayload } from '../xds/wire';
import type { ResourceStore } from '../store';
import { resourceStatuses } from '../stream';
import type { AnyStream } from './ads-service';

const SERVICE = 'envoy.service.status.v3.ClientStatusDiscoveryService';

type Msg = Record<string, unknown>;

/** Matches a node id against an `envoy.type.matcher.v3.StringMatcher` (exact, prefix, suffix, contains, safe_regex). */
function stringMatches(matcher: Msg | undefined, value: string): boolean {
  if (!matcher) return true;
  if (typeof matcher['exact'] === 'string') return value === matcher['exact'];
  if (typeof matcher['prefix'] === 'string') return value.startsWith(matcher['prefix']);
  if (typeof matcher['suffix'] === 'string') return value.endsWith(matcher['suffix']);
  if (typeof matcher['contains'] === 'string') return value.includes(matcher['contains']);
  const regex = (matcher['safeRegex'] as Msg | undefined)?.['regex'];
  if (typeof regex === 'string') {
    try {
      return new RegExp(`^(?:${regex})$`).test(value);
    } catch {
      return false;
    }
  }
  return true;
}

/** Build a ClientStatusResponse for the streams matching the request's node matchers (metadata matchers are not supported). */
function respond(request: Msg, streams: ReadonlySet<AnyStream>, store: ResourceStore): Msg {
  const matchers = (request['nodeMatchers'] as Msg[] | undefined) ?? [];
  const withContents = request['excludeResourceContents'] !== true;
  const config: Msg[] = [];
  for (const stream of streams) {
    const node = stream.node;
    if (!node) continue;
    if (matchers.length > 0 && !matchers.some((m) => stringMatches(m['nodeId'] as Msg | undefined, node.id))) continue;
    const generic: Msg[] = [];
    for (const s of resourceStatuses(stream, store)) {
      const entry: Msg = { typeUrl: s.typeUrl, name: s.name, versionInfo: s.version, configStatus: s.configStatus, clientStatus: s.clientStatus };
      if (withContents && s.resource) entry['xdsConfig'] = { type_url: s.typeUrl, value: lengthDelimitedPayload(s.resource.sotwEntry) };
      if (s.error) entry['errorState'] = { details: s.error };
      generic.push(entry);
    }
    config.push({ node: { id: node.id, cluster: node.cluster, clientFeatures: node.clientFeatures }, genericXdsConfigs: generic });
  }
  return { config };
}

/** Register CSDS (StreamClientStatus and FetchClientStatus). */
export function addCsdsService(server: grpc.Server, root: protobuf.Root, streams: ReadonlySet<AnyStream>, store: ResourceStore): void {
  const Request = root.lookupType('envoy.service.status.v3.ClientStatusRequest');
  const Response = root.lookupType('envoy.service.status.v3.ClientStatusResponse');
  const serialize = (m: Msg): Buffer => Buffer.from(Response.encode(Response.fromObject(m)).finish());
  const deserialize = (b: Buffer): Msg => Request.decode(b) as unknown as Msg;
  const definition = {
    StreamClientStatus: { path: `/${SERVICE}/StreamClientStatus`, requestStream: true, responseStream: true, requestSerialize: serialize, requestDeserialize: deserialize, responseSerialize: serialize, responseDeserialize: deserialize },
    FetchClientStatus: { path: `/${SERVICE}/FetchClientStatus`, requestStream: false, responseStream: false, requestSerialize: serialize, requestDeserialize: deserialize, responseSerialize: serialize, responseDeserialize: deserialize },
  } as unknown as grpc.ServiceDefinition;
  server.addService(definition, {
    StreamClientStatus: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      call.on('data', (req: Msg) => {
        try {
          call.write(respond(req, streams, store));
        } catch (err) {
          call.emit('error', { code: grpc.status.INTERNAL, details: (err as Error).message });
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
    FetchClientStatus: (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => {
      try {
        callback(null, respond(call.request, streams, store));
      } catch (err) {
        callback({ code: grpc.status.INTERNAL, details: (err as Error).message });
      }
    },
  });
}

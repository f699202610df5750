/**
 * @module loadgen/node-streams
 * The streams of one simulated node and the requests it writes on them:
 * which gRPC method carries each type (one ADS stream, or one per-type
 * service each), the per-type protocol state, and the request shapes Envoy
 * sends (docs/protocol.md B15, C22, E29, E30): the first request
 * on a fresh stream, ACK, NACK, and a subscription change.
 */
import type * as grpc from '@grpc/grpc-js';
import { CLUSTER, ENDPOINT, LISTENER, ROUTE } from '../src/xds/type-urls';
import type { Backoff } from './backoff';
import type { NameSet } from './name-set';
import type { TypeGraph, TypeState } from './type-state';
import { NACK_STATUS_CODE, encodeDeltaRequest, encodeSotwRequest, encodeStatus } from './xds-encode';

/** gRPC's length prefix per message, counted in wire bytes. */
export const GRPC_MESSAGE_PREFIX_BYTES = 5;

/** The four types an Envoy-like node follows, in Envoy's subscription order. */
export type Kind = 'cds' | 'eds' | 'lds' | 'rds';
/** Every kind, in subscription order. */
export const KINDS: readonly Kind[] = ['cds', 'eds', 'lds', 'rds'];
/** Type URL of each kind. */
export const TYPE_URL_OF: Record<Kind, string> = { cds: CLUSTER, eds: ENDPOINT, lds: LISTENER, rds: ROUTE };

const ADS_SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';
/** Per-type services: [service path prefix, method suffix]. */
const PER_TYPE_SERVICE: Record<Kind, [string, string]> = {
  cds: ['/envoy.service.cluster.v3.ClusterDiscoveryService/', 'Clusters'],
  eds: ['/envoy.service.endpoint.v3.EndpointDiscoveryService/', 'Endpoints'],
  lds: ['/envoy.service.listener.v3.ListenerDiscoveryService/', 'Listeners'],
  rds: ['/envoy.service.route.v3.RouteDiscoveryService/', 'Routes'],
};

/**
 * Channel options. A local subchannel pool gives every node its own TCP
 * connection (grpc-js otherwise shares one per target); channelz off saves
 * memory per channel; the receive limit is lifted because SotW CDS/LDS
 * responses cannot be split (rule F35).
 */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.use_local_subchannel_pool': 1,
  'grpc.enable_channelz': 0,
  'grpc.enable_retries': 0,
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': 30_000,
};

const EMPTY = Buffer.alloc(0);

/** The gRPC method path carrying `kind`. */
export function methodPath(kind: Kind, ads: boolean, delta: boolean): string {
  if (ads) return ADS_SERVICE + (delta ? 'DeltaAggregatedResources' : 'StreamAggregatedResources');
  const [service, suffix] = PER_TYPE_SERVICE[kind];
  return service + (delta ? 'Delta' : 'Stream') + suffix;
}

/** One gRPC stream and the types it carries. */
export interface Port {
  readonly path: string;
  readonly kinds: Kind[];
  call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  /** Index of the target the current call was opened on. */
  callTarget: number;
  nodeSent: boolean;
  readonly backoff: Backoff;
  timer: NodeJS.Timeout | undefined;
}

/** Per-type protocol state of this node. */
export interface Slot {
  readonly kind: Kind;
  readonly typeUrl: string;
  readonly graph: TypeGraph;
  readonly port: Port;
  started: boolean;
  received: boolean;
  state: TypeState;
  /** SotW: last accepted version_info. */
  version: string;
  /** Last nonce received on the current stream. */
  nonce: string;
  /** Explicit subscription; null = wildcard (CDS, LDS). */
  wanted: NameSet | null;
}

/** The first request for a type on a fresh stream: what the node holds, no nonce (rules B15, C22, E30). */
export function initialRequest(slot: Slot, delta: boolean, node: Buffer | undefined): Buffer {
  if (delta) {
    return encodeDeltaRequest({
      typeUrl: slot.typeUrl,
      node,
      subscribe: slot.wanted?.subscribeField,
      initialVersions: slot.received ? slot.state.initialVersions(slot.wanted) : undefined,
    });
  }
  return encodeSotwRequest({ typeUrl: slot.typeUrl, versionInfo: slot.version, resourceNames: slot.wanted?.sotwField ?? EMPTY, nonce: '', node });
}

/** ACK: SotW repeats the (just accepted) version and the full names; delta sends only the nonce. */
export function ackRequest(slot: Slot, delta: boolean, nonce: string): Buffer {
  return delta ? encodeDeltaRequest({ typeUrl: slot.typeUrl, nonce }) : encodeSotwRequest({ typeUrl: slot.typeUrl, versionInfo: slot.version, resourceNames: slot.wanted?.sotwField ?? EMPTY, nonce });
}

/** NACK: error_detail with Envoy's code 13; SotW keeps the previous accepted version. */
export function nackRequest(slot: Slot, delta: boolean, nonce: string, message: string): Buffer {
  const errorDetail = encodeStatus(NACK_STATUS_CODE, message);
  return delta
    ? encodeDeltaRequest({ typeUrl: slot.typeUrl, nonce, errorDetail })
    : encodeSotwRequest({ typeUrl: slot.typeUrl, versionInfo: slot.version, resourceNames: slot.wanted?.sotwField ?? EMPTY, nonce, errorDetail });
}

/** A subscription change from `before` to `after`: SotW sends the full new list, delta the difference. */
export function followRequest(slot: Slot, delta: boolean, before: NameSet, after: NameSet): Buffer {
  if (delta) {
    const diff = before.diffTo(after);
    return encodeDeltaRequest({ typeUrl: slot.typeUrl, subscribe: diff.subscribe, unsubscribe: diff.unsubscribe });
  }
  return encodeSotwRequest({ typeUrl: slot.typeUrl, versionInfo: slot.version, resourceNames: after.sotwField, nonce: slot.nonce });
}

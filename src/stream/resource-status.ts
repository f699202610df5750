/**
 * @module stream/resource-status
 * What one stream's client holds, per resource: the answer CSDS and /nodes
 * give to "which config does this node actually have?". Derived from the
 * stream's snapshot (subscription, pending work, ACK/NACK and, for delta,
 * the per-resource versions the client holds).
 */
import type { EncodedResource } from '../encode';
import type { ResourceStore } from '../store';
import type { StreamSnapshot } from './snapshot';

/** `envoy.admin.v3.ClientResourceStatus`. */
export enum ClientResourceStatus {
  UNKNOWN = 0,
  REQUESTED = 1,
  DOES_NOT_EXIST = 2,
  ACKED = 3,
  NACKED = 4,
}

/** `envoy.service.status.v3.ConfigStatus`. */
export enum ConfigStatus {
  UNKNOWN = 0,
  SYNCED = 1,
  NOT_SENT = 2,
  STALE = 3,
  ERROR = 4,
}

/** One resource as one client holds it. */
export interface ResourceStatus {
  readonly typeUrl: string;
  readonly name: string;
  /** The version served now (empty if it does not exist). */
  readonly version: string;
  readonly resource: EncodedResource | undefined;
  readonly clientStatus: ClientResourceStatus;
  readonly configStatus: ConfigStatus;
  readonly error?: string;
}

/** Per-resource status of every resource a stream subscribes to. */
export function* resourceStatuses(stream: StreamSnapshot, store: ResourceStore): Iterable<ResourceStatus> {
  for (const state of stream.types) {
    const typeUrl = state.typeUrl;
    const view = store.view(stream.group, typeUrl);
    const names = state.wildcard ? new Set([...view.keys(), ...state.names]) : state.names;
    for (const name of names) {
      const resource = view.get(name);
      if (!resource) {
        yield { typeUrl, name, version: '', resource, clientStatus: ClientResourceStatus.DOES_NOT_EXIST, configStatus: ConfigStatus.SYNCED };
        continue;
      }
      const sentCurrent = state.sentCurrent(name, resource.version);
      let clientStatus: ClientResourceStatus;
      let configStatus: ConfigStatus;
      if (!sentCurrent) {
        clientStatus = ClientResourceStatus.REQUESTED;
        configStatus = ConfigStatus.NOT_SENT;
      } else if (state.awaitingAck) {
        clientStatus = ClientResourceStatus.REQUESTED;
        configStatus = ConfigStatus.STALE;
      } else if (state.rejected) {
        clientStatus = ClientResourceStatus.NACKED;
        configStatus = ConfigStatus.ERROR;
      } else {
        clientStatus = ClientResourceStatus.ACKED;
        configStatus = ConfigStatus.SYNCED;
      }
      yield { typeUrl, name, version: resource.version, resource, clientStatus, configStatus, error: state.rejected ? state.lastNack?.message : undefined };
    }
  }
}

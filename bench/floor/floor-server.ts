/**
 * @module bench/floor/floor-server
 * The floor: a grpc-js server that does as little as an xDS server can and
 * still keep an Envoy-like client in sync. Each stream's first request for a
 * type gets that type's pre-built full response plus a per-stream nonce;
 * every later request (ACK, NACK, subscription change) is ignored. On a new
 * config, one pre-built message per changed type is written, as is, to every
 * stream that asked for the type: no per-stream state beyond that, no
 * backpressure, no ACK gating, no coalescing. Whatever our server does more
 * than this is what it costs over the machine's floor.
 *
 * It serves ADS (SotW and delta) and the CDS/EDS/LDS/RDS per-type services,
 * with pass-through Buffer serializers.
 */
import * as grpc from '@grpc/grpc-js';
import type { FloorVariant, Snapshot, TypeChange } from './snapshot';
import { withNonce } from './snapshot';
import { readStringField } from './wire';
import { CLUSTER, ENDPOINT, LISTENER, ROUTE } from '../../src/xds/type-urls';

/** Requests up to this size are accepted (gRPC's 4 MiB default is too small for 10^5 names). */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;
/** Types one stream may ask for; more are ignored, so no input grows a stream without end. */
const MAX_TYPES_PER_STREAM = 64;
/** `type_url` field of DiscoveryRequest and of DeltaDiscoveryRequest. */
const TYPE_URL_FIELD: Record<FloorVariant, number> = { sotw: 4, delta: 2 };

const identity = (b: Buffer): Buffer => b;

/** One open stream: which types it has been answered for. */
interface FloorStream {
  readonly call: grpc.ServerDuplexStream<Buffer, Buffer>;
  readonly variant: FloorVariant;
  /** The type of a per-type service, for requests that leave `type_url` empty; '' on ADS. */
  readonly serviceType: string;
  readonly answered: Set<string>;
  nonces: number;
}

/** What one config change cost to write. */
export interface PushReport {
  readonly changes: readonly TypeChange[];
  /** Messages written (streams × changed types they asked for). */
  readonly writes: number;
  readonly bytes: number;
}

/** [service, method suffix, type] of every service the floor implements; ADS first. */
const SERVICES: readonly (readonly [string, string, string])[] = [
  ['envoy.service.discovery.v3.AggregatedDiscoveryService', 'AggregatedResources', ''],
  ['envoy.service.cluster.v3.ClusterDiscoveryService', 'Clusters', CLUSTER],
  ['envoy.service.endpoint.v3.EndpointDiscoveryService', 'Endpoints', ENDPOINT],
  ['envoy.service.listener.v3.ListenerDiscoveryService', 'Listeners', LISTENER],
  ['envoy.service.route.v3.RouteDiscoveryService', 'Routes', ROUTE],
];

function method(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return { path, requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
}

/** The floor's gRPC side. */
export class FloorServer {
  readonly #server: grpc.Server;
  readonly #streams = new Set<FloorStream>();
  #snapshot: Snapshot;
  /** Serial of shared change messages; their nonces `s…` never collide with per-stream `i…` ones. */
  #serial = 0;

  constructor(snapshot: Snapshot) {
    this.#snapshot = snapshot;
    this.#server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES, 'grpc.max_send_message_length': -1 });
    for (const [service, suffix, serviceType] of SERVICES) {
      const sotw = suffix === 'AggregatedResources' ? 'StreamAggregatedResources' : `Stream${suffix}`;
      const delta = suffix === 'AggregatedResources' ? 'DeltaAggregatedResources' : `Delta${suffix}`;
      const definition = { [sotw]: method(`/${service}/${sotw}`), [delta]: method(`/${service}/${delta}`) };
      const impl = {
        [sotw]: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.#open(call, 'sotw', serviceType),
        [delta]: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.#open(call, 'delta', serviceType),
      };
      this.#server.addService(definition as grpc.ServiceDefinition, impl as grpc.UntypedServiceImplementation);
    }
  }

  /** Bind and serve; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  /** Open streams. */
  get streams(): number {
    return this.#streams.size;
  }

  #open(call: grpc.ServerDuplexStream<Buffer, Buffer>, variant: FloorVariant, serviceType: string): void {
    const stream: FloorStream = { call, variant, serviceType, answered: new Set(), nonces: 0 };
    this.#streams.add(stream);
    const drop = (): void => void this.#streams.delete(stream);
    call.on('data', (request: Buffer) => this.#onRequest(stream, request));
    call.on('end', () => {
      drop();
      call.end();
    });
    call.on('error', drop);
    call.on('cancelled', drop);
    call.on('close', drop);
  }

  /** Answer the first request per type with the pre-built full response; ignore all else. */
  #onRequest(stream: FloorStream, request: Buffer): void {
    const typeUrl = (Buffer.isBuffer(request) ? readStringField(request, TYPE_URL_FIELD[stream.variant]) : undefined) || stream.serviceType;
    if (!typeUrl || stream.answered.has(typeUrl) || stream.answered.size >= MAX_TYPES_PER_STREAM) return;
    stream.answered.add(typeUrl);
    const nonce = `i${(++stream.nonces).toString(36)}`;
    this.#write(stream, withNonce(this.#snapshot.initialBody(stream.variant, typeUrl), nonce));
  }

  #write(stream: FloorStream, message: Buffer): boolean {
    if (stream.call.cancelled || stream.call.destroyed) {
      this.#streams.delete(stream);
      return false;
    }
    try {
      stream.call.write(message); // no backpressure: that is the floor
      return true;
    } catch {
      this.#streams.delete(stream);
      return false;
    }
  }

  /** Serve `next` from now on and write what changed to every stream that asked for the type. */
  apply(next: Snapshot): PushReport {
    const changes = next.changesSince(this.#snapshot, () => `s${(++this.#serial).toString(36)}`);
    this.#snapshot = next;
    let writes = 0;
    let bytes = 0;
    if (changes.length === 0) return { changes, writes, bytes };
    // Deleting a closed stream while iterating a Set is safe.
    for (const stream of this.#streams) {
      for (const change of changes) {
        if (!stream.answered.has(change.typeUrl)) continue;
        const message = stream.variant === 'sotw' ? change.sotw : change.delta;
        if (message && this.#write(stream, message)) {
          writes++;
          bytes += message.length;
        }
      }
    }
    return { changes, writes, bytes };
  }

  /** Close every stream and the port now. */
  close(): void {
    this.#server.forceShutdown();
  }
}

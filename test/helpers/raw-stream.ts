/**
 * @module test/helpers/raw-stream
 * A bare xDS stream over @grpc/grpc-js for fault tests, where the shared
 * test client (../helpers/ads-client) is too polite: it can use any channel
 * credentials (TLS, mTLS, a wrong CA), and it does not wait for the channel
 * to be ready, so a failed handshake surfaces as the call's status.
 * Responses are decoded with the test codec, which shares nothing with the
 * server's wire code. (A slow consumer needs more than grpc-js's `pause()`,
 * which still buffers 16 messages: see ./stalling-client.)
 */
import * as grpc from '@grpc/grpc-js';
import { adsPath } from './service-paths';
import { decodeResponse, encodeDeltaRequest, encodeSotwRequest } from './xds-codec';
import type { DeltaRequest, NodeSpec, Received, SotwRequest, Variant } from './xds-codec';

/** How to open a raw stream. */
export interface RawStreamOptions {
  readonly port: number;
  readonly variant: Variant;
  readonly node: NodeSpec;
  /** Default: plaintext. */
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
  /** ACK every response as soon as it is read (SotW: version, nonce, names; delta: nonce). Default false. */
  readonly autoAck?: boolean;
}

/**
 * Channel options every fault-test client uses: its own TCP connection (no
 * subchannel sharing between "nodes"), no client-side receive cap (2000
 * clusters exceed gRPC's 4 MiB default), and quick reconnects.
 */
export const NODE_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.use_local_subchannel_pool': 1,
  'grpc.max_receive_message_length': -1,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
};

const identity = (b: Buffer): Buffer => b;

/** One bidi discovery stream whose reading can be paused. */
export class RawXdsStream {
  readonly variant: Variant;
  /** Responses read so far, in order. */
  readonly responses: Received[] = [];
  /** ACK every response as soon as it is read. */
  readonly autoAck: boolean;
  /** When each response was read (performance.now()). */
  readonly readAt: number[] = [];
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly #node: NodeSpec;
  readonly #names = new Map<string, readonly string[]>();
  readonly #listeners: ((closed?: boolean) => void)[] = [];
  #status: grpc.StatusObject | undefined;
  #sentFirst = false;

  constructor(options: RawStreamOptions) {
    this.variant = options.variant;
    this.#node = options.node;
    this.autoAck = options.autoAck ?? false;
    this.#client = new grpc.Client(`127.0.0.1:${options.port}`, options.credentials ?? grpc.credentials.createInsecure(), {
      ...NODE_CHANNEL_OPTIONS,
      ...options.channelOptions,
    });
    this.#call = this.#client.makeBidiStreamRequest<Buffer, Buffer>(adsPath(options.variant), identity, identity);
    this.#call.on('data', (bytes: Buffer) => this.#onData(bytes));
    this.#call.on('error', () => {
      /* the status event carries the code */
    });
    this.#call.on('status', (s: grpc.StatusObject) => {
      this.#status = s;
      this.#notify();
    });
  }

  /** The final status, once the stream ended. */
  get status(): grpc.StatusObject | undefined {
    return this.#status;
  }

  /** Send a request; the node goes on the first one only (as gRPC clients do). */
  send(req: SotwRequest | DeltaRequest): void {
    const node = this.#sentFirst ? undefined : this.#node;
    this.#sentFirst = true;
    if (this.variant === 'sotw') {
      const r = req as SotwRequest;
      if (r.resourceNames) this.#names.set(r.typeUrl, r.resourceNames);
      this.#call.write(encodeSotwRequest(r, node));
    } else {
      this.#call.write(encodeDeltaRequest(req as DeltaRequest, node));
    }
  }

  /** Subscribe to every resource of a wildcard-capable type (legacy wildcard: no names). */
  subscribeWildcard(typeUrl: string): void {
    this.send(this.variant === 'sotw' ? { typeUrl, resourceNames: [] } : { typeUrl });
  }

  /** ACK a response. */
  ack(r: Received): void {
    if (this.variant === 'sotw') this.send({ typeUrl: r.typeUrl, versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: this.#names.get(r.typeUrl) ?? [] });
    else this.send({ typeUrl: r.typeUrl, responseNonce: r.nonce });
  }

  /** Resolves once a read response satisfies `pred` (looking at every response from `from` on). */
  waitFor(pred: (r: Received) => boolean, timeoutMs: number, what: string, from = 0): Promise<Received> {
    return this.#until(
      () => this.responses.slice(from).find(pred),
      timeoutMs,
      () => `${what}: not within ${timeoutMs} ms (read ${this.responses.length} responses, status ${this.#describeStatus()})`,
    );
  }

  /** Resolves with the final status; rejects after `timeoutMs`. */
  ended(timeoutMs: number): Promise<grpc.StatusObject> {
    return this.#until(
      () => this.#status,
      timeoutMs,
      () => `stream still open after ${timeoutMs} ms`,
    );
  }

  /** Cancel the call (if still open), close the channel, and fail pending waits. */
  close(): void {
    if (!this.#status) this.#call.cancel();
    this.#client.close();
    for (const l of [...this.#listeners]) l(true);
  }

  #describeStatus(): string {
    return this.#status ? `${grpc.status[this.#status.code]} "${this.#status.details}"` : 'open';
  }

  #until<T>(probe: () => T | undefined, timeoutMs: number, message: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const v = probe();
        if (v === undefined) return false;
        cleanup();
        resolve(v);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(message()));
      }, timeoutMs);
      const listener = (closed?: boolean): void => {
        if (check() || !closed) return;
        cleanup();
        reject(new Error('stream closed by the test'));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        const i = this.#listeners.indexOf(listener);
        if (i >= 0) this.#listeners.splice(i, 1);
      };
      this.#listeners.push(listener);
      check();
    });
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  #onData(bytes: Buffer): void {
    const r = decodeResponse(this.variant, bytes, this.responses.length);
    this.responses.push(r);
    this.readAt.push(performance.now());
    if (this.autoAck) this.ack(r);
    this.#notify();
  }
}

/**
 * @module test/helpers/stalling-client
 * An xDS client that can stop reading at the HTTP/2 level, for slow-consumer
 * tests. A paused @grpc/grpc-js stream still pulls up to 16 messages into
 * its own buffer (its Readable high-water mark), so the server would never
 * feel it; this client speaks gRPC framing over `node:http2` directly, and
 * `stall()` pauses the HTTP/2 stream so Node stops returning flow-control
 * window: after 64 KiB the server's writes for that stream stay in the
 * server's buffers, as they would for an Envoy that stopped reading.
 */
import * as http2 from 'node:http2';
import { adsPath } from './service-paths';
import { decodeResponse, encodeDeltaRequest, encodeSotwRequest } from './xds-codec';
import type { NodeSpec, Received, Variant } from './xds-codec';

const GRPC_FRAME_HEADER_BYTES = 5;

/** One ADS stream over a dedicated HTTP/2 connection. */
export class StallingClient {
  readonly variant: Variant;
  /** Responses read so far. */
  readonly responses: Received[] = [];
  /** ACK each response once read. */
  autoAck = false;
  readonly #session: http2.ClientHttp2Session;
  readonly #stream: http2.ClientHttp2Stream;
  readonly #node: NodeSpec;
  #buffer: Buffer = Buffer.alloc(0);
  #sentFirst = false;
  #waiters: (() => void)[] = [];
  #error: Error | undefined;

  constructor(port: number, variant: Variant, node: NodeSpec) {
    this.variant = variant;
    this.#node = node;
    this.#session = http2.connect(`http://127.0.0.1:${port}`);
    this.#session.on('error', (err) => this.#fail(err));
    this.#stream = this.#session.request({
      ':method': 'POST',
      ':path': adsPath(variant),
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    this.#stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#stream.on('error', (err) => this.#fail(err));
    this.#stream.on('trailers', (t) => {
      if (t['grpc-status'] !== '0') this.#fail(new Error(`stream ended: grpc-status ${String(t['grpc-status'])} ${String(t['grpc-message'])}`));
    });
  }

  /** Ask for every cluster (legacy wildcard). */
  subscribeClusters(typeUrl: string): void {
    this.#write(this.variant === 'sotw' ? encodeSotwRequest({ typeUrl, resourceNames: [] }, this.#nodeOnce()) : encodeDeltaRequest({ typeUrl }, this.#nodeOnce()));
  }

  /** ACK a response. */
  ack(r: Received): void {
    this.#write(
      this.variant === 'sotw'
        ? encodeSotwRequest({ typeUrl: r.typeUrl, versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: [] }, undefined)
        : encodeDeltaRequest({ typeUrl: r.typeUrl, responseNonce: r.nonce }, undefined),
    );
  }

  /** The RST_STREAM code the server closed the stream with, once it did (e.g. 11, ENHANCE_YOUR_CALM). */
  get resetCode(): number | undefined {
    return this.#stream.closed && this.#stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR ? this.#stream.rstCode : undefined;
  }

  /** Open a second ADS stream on this client's connection (sending nothing), e.g. to see whether the server takes new streams. */
  openExtraStream(): http2.ClientHttp2Stream {
    const stream = this.#session.request({ ':method': 'POST', ':path': adsPath(this.variant), 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => {
      /* the close event carries the RST code */
    });
    return stream;
  }

  /** Stop reading: the HTTP/2 stream is paused and its flow-control window closes. */
  stall(): void {
    this.#stream.pause();
  }

  /** Read again. */
  resume(): void {
    this.#stream.resume();
  }

  /** Resolves once a response matches `pred`. */
  waitFor(pred: (r: Received) => boolean, timeoutMs: number, what: string): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.#error) {
          done();
          reject(this.#error);
          return true;
        }
        const r = this.responses.find(pred);
        if (!r) return false;
        done();
        resolve(r);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what}: not within ${timeoutMs} ms (read ${this.responses.length} responses)`));
      }, timeoutMs);
      const waiter = (): void => void check();
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
      };
      this.#waiters.push(waiter);
      check();
    });
  }

  /** Close the stream and the connection. */
  close(): void {
    this.#stream.close(http2.constants.NGHTTP2_CANCEL);
    this.#session.destroy();
  }

  #nodeOnce(): NodeSpec | undefined {
    if (this.#sentFirst) return undefined;
    this.#sentFirst = true;
    return this.#node;
  }

  #write(message: Buffer): void {
    const header = Buffer.alloc(GRPC_FRAME_HEADER_BYTES);
    header.writeUInt32BE(message.length, 1);
    this.#stream.write(Buffer.concat([header, message]));
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= GRPC_FRAME_HEADER_BYTES) {
      const length = this.#buffer.readUInt32BE(1);
      if (this.#buffer.length < GRPC_FRAME_HEADER_BYTES + length) break;
      const message = this.#buffer.subarray(GRPC_FRAME_HEADER_BYTES, GRPC_FRAME_HEADER_BYTES + length);
      this.#buffer = this.#buffer.subarray(GRPC_FRAME_HEADER_BYTES + length);
      const r = decodeResponse(this.variant, Buffer.from(message), this.responses.length);
      this.responses.push(r);
      if (this.autoAck) this.ack(r);
    }
    for (const w of [...this.#waiters]) w();
  }

  #fail(err: Error): void {
    this.#error ??= err;
    for (const w of [...this.#waiters]) w();
  }
}

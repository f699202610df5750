/**
 * @module test/helpers/partial-requests
 * A hostile client for request-buffer tests: one HTTP/2 connection
 * (`node:http2`, gRPC framing by hand) whose streams each announce a large
 * request message in the 5-byte gRPC header and then send only part of it,
 * so the server holds the unfinished bytes. Records, per stream, the gRPC
 * status or the RST_STREAM code it ended with.
 */
import * as http2 from 'node:http2';
import { adsPath } from './service-paths';

const GRPC_HEADER_BYTES = 5;
const CHUNK_BYTES = 1024 * 1024;

/** How one stream ended. */
export interface PartialStreamEnd {
  /** grpc-status from trailers (or a trailers-only response), if any arrived. */
  readonly grpcStatus?: number;
  readonly grpcMessage?: string;
  /** RST_STREAM code, if the server reset the stream. */
  readonly rstCode?: number;
}

/** Streams with unfinished requests over one connection. */
export class PartialRequestConnection {
  readonly #session: http2.ClientHttp2Session;
  readonly #streams: http2.ClientHttp2Stream[] = [];
  readonly #ends = new Map<http2.ClientHttp2Stream, { grpcStatus?: number; grpcMessage?: string; rstCode?: number }>();

  constructor(port: number) {
    this.#session = http2.connect(`http://127.0.0.1:${port}`);
    this.#session.on('error', () => {
      /* a reset session shows in the streams' ends */
    });
  }

  /**
   * Open `streams` ADS streams; each announces `announceBytes` and sends
   * `sendBytes` of it. Resolves once every stream has sent its part or ended.
   */
  async send(streams: number, announceBytes: number, sendBytes: number): Promise<void> {
    const chunk = Buffer.alloc(CHUNK_BYTES, 0x0a);
    const sent: Promise<void>[] = [];
    for (let i = 0; i < streams; i++) {
      const stream = this.#session.request({ ':method': 'POST', ':path': adsPath('sotw'), 'content-type': 'application/grpc', te: 'trailers' });
      this.#streams.push(stream);
      const end: { grpcStatus?: number; grpcMessage?: string; rstCode?: number } = {};
      this.#ends.set(stream, end);
      const status = (h: http2.IncomingHttpHeaders): void => {
        if (h['grpc-status'] === undefined) return;
        end.grpcStatus = Number(h['grpc-status']);
        end.grpcMessage = decodeURIComponent(String(h['grpc-message'] ?? ''));
      };
      stream.on('response', status);
      stream.on('trailers', status);
      stream.on('error', () => {
        /* recorded on close */
      });
      stream.on('data', () => {
        /* read whatever comes */
      });
      const header = Buffer.alloc(GRPC_HEADER_BYTES);
      header.writeUInt32BE(announceBytes, 1);
      stream.write(header);
      sent.push(
        new Promise<void>((resolve) => {
          let written = 0;
          const pump = (): void => {
            while (written < sendBytes && !stream.closed) {
              const n = Math.min(CHUNK_BYTES, sendBytes - written);
              written += n;
              if (!stream.write(n === CHUNK_BYTES ? chunk : chunk.subarray(0, n))) return void stream.once('drain', pump);
            }
            resolve();
          };
          stream.once('close', () => {
            if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) end.rstCode = stream.rstCode;
            resolve();
          });
          pump();
        }),
      );
    }
    await Promise.all(sent);
  }

  /** How each stream ended so far (open streams have no entry). */
  ends(): PartialStreamEnd[] {
    return this.#streams.filter((s) => s.closed || this.#ends.get(s)?.grpcStatus !== undefined).map((s) => ({ ...this.#ends.get(s) }));
  }

  /** Streams still open. */
  get open(): number {
    return this.#streams.filter((s) => !s.closed).length;
  }

  close(): void {
    this.#session.destroy();
  }
}

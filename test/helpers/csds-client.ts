/**
 * @module test/helpers/csds-client
 * A CSDS client (envoy.service.status.v3.ClientStatusDiscoveryService) over
 * @grpc/grpc-js, with requests encoded and answers decoded by protobufjs from
 * the Envoy proto root (nothing shared with the server's hand-written
 * response encoder). Answers keep their raw bytes too, so a test can search
 * them for text that must never leave the server.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '../../src/xds/proto-root';

/** The service's method path prefix. */
export const CSDS_SERVICE = '/envoy.service.status.v3.ClientStatusDiscoveryService/';

/** One resource as a node holds it, decoded with enums as names. */
export interface GenericConfig {
  typeUrl?: string;
  name?: string;
  versionInfo?: string;
  clientStatus?: string;
  configStatus?: string;
  xdsConfig?: { type_url?: string; value?: Buffer };
  errorState?: { details?: string };
}

/** One node's status. */
export interface ClientConfig {
  node?: { id?: string; cluster?: string };
  genericXdsConfigs?: GenericConfig[];
}

/** A decoded answer and its bytes. */
export interface CsdsAnswer {
  readonly config: ClientConfig[];
  readonly bytes: Buffer;
}

/** A `ClientStatusRequest` as protobufjs `fromObject` takes it (camelCase). */
export type CsdsRequest = Record<string, unknown>;

/** Node ids in an answer, sorted. */
export function nodeIds(answer: CsdsAnswer): string[] {
  return answer.config.map((c) => c.node?.id ?? '').sort();
}

const pass = (b: Buffer): Buffer => b;

/** A CSDS client on one channel. */
export class CsdsClient {
  readonly #client: grpc.Client;
  readonly #encode: (m: CsdsRequest) => Buffer;
  readonly #decode: (b: Buffer) => CsdsAnswer;

  /** `credentials` default to plaintext; TLS tests pass their own and a target name override. */
  constructor(port: number, options: { credentials?: grpc.ChannelCredentials; channelOptions?: grpc.ChannelOptions } = {}) {
    const root = loadProtoRoot();
    const Req = root.lookupType('envoy.service.status.v3.ClientStatusRequest');
    const Res = root.lookupType('envoy.service.status.v3.ClientStatusResponse');
    this.#encode = (m) => Buffer.from(Req.encode(Req.fromObject(m)).finish());
    // Decoded on first use, so a test timing the server does not time this client's decoding.
    this.#decode = (b) => {
      let config: ClientConfig[] | undefined;
      return {
        bytes: b,
        get config() {
          return (config ??= (Res.toObject(Res.decode(b), { enums: String, longs: String }) as { config?: ClientConfig[] }).config ?? []);
        },
      };
    };
    this.#client = new grpc.Client(`127.0.0.1:${port}`, options.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.use_local_subchannel_pool': 1,
      ...options.channelOptions,
    });
  }

  /** FetchClientStatus with `request`; rejects with the gRPC error (`code`, `details`). */
  fetch(request: CsdsRequest = {}): Promise<CsdsAnswer> {
    return new Promise((resolve, reject) =>
      this.#client.makeUnaryRequest(
        `${CSDS_SERVICE}FetchClientStatus`,
        (m: CsdsRequest) => this.#encode(m),
        pass,
        request,
        (err, res) => (err || !res ? reject(err) : resolve(this.#decode(res))),
      ),
    );
  }

  /** FetchClientStatus for node ids matching `exact` (all nodes when undefined). */
  fetchNode(exact?: string): Promise<CsdsAnswer> {
    return this.fetch(exact === undefined ? {} : { nodeMatchers: [{ nodeId: { exact } }] });
  }

  /**
   * Write every request on one StreamClientStatus call without waiting (pipelined),
   * then half-close. Resolves with the answers in arrival order and the final status.
   */
  stream(requests: readonly CsdsRequest[]): Promise<{ answers: CsdsAnswer[]; status: grpc.StatusObject }> {
    const call = this.#client.makeBidiStreamRequest(`${CSDS_SERVICE}StreamClientStatus`, (m: CsdsRequest) => this.#encode(m), pass);
    const answers: CsdsAnswer[] = [];
    return new Promise((resolve) => {
      call.on('data', (b: Buffer) => answers.push(this.#decode(b)));
      call.on('error', () => undefined); // the status event carries it
      call.on('status', (status: grpc.StatusObject) => resolve({ answers, status }));
      for (const r of requests) call.write(r);
      call.end();
    });
  }

  close(): void {
    this.#client.close();
  }
}

/** The gRPC error a CSDS call rejected with, for assertions. */
export async function csdsError(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the CSDS call to fail, but it was answered');
}

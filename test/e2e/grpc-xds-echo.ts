/**
 * @module test/e2e/grpc-xds-echo
 * A tiny gRPC "who am I" service for the grpc-js-xds end-to-end test: each
 * backend answers every call with its own id, so a test can tell from the
 * reply which endpoint the xDS client picked. JSON serializers keep the test
 * free of generated code and of any .proto file of its own.
 */
import * as grpc from '@grpc/grpc-js';

/** What a backend answers. */
export interface WhoAmIReply {
  readonly backend: string;
}

/** gRPC method path of the single RPC. */
const WHO_AM_I_PATH = '/fanout.e2e.Echo/WhoAmI';

function serializeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function deserializeJson<T>(bytes: Buffer): T {
  return JSON.parse(bytes.toString('utf8')) as T;
}

/** Service definition shared by the backends (server side). */
const ECHO_SERVICE: grpc.ServiceDefinition = {
  whoAmI: {
    path: WHO_AM_I_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: serializeJson,
    requestDeserialize: deserializeJson,
    responseSerialize: serializeJson,
    responseDeserialize: deserializeJson,
  },
};

/** A running backend. */
export interface EchoBackend {
  readonly id: string;
  readonly port: number;
  /** Closes the listening socket and every connection at once. */
  stop(): void;
}

/** Starts a backend on 127.0.0.1, port 0, that answers `{backend: id}`. */
export async function startEchoBackend(id: string): Promise<EchoBackend> {
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, {
    whoAmI: (_call: grpc.ServerUnaryCall<unknown, WhoAmIReply>, callback: grpc.sendUnaryData<WhoAmIReply>) => {
      callback(null, { backend: id });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  return { id, port, stop: () => server.forceShutdown() };
}

/** Outcome of one call: which backend answered, or why none did. */
export type CallOutcome = { readonly backend: string } | { readonly error: string };

/**
 * Makes one WhoAmI call on `client` with a deadline. Never rejects: errors
 * (for example UNAVAILABLE while the xDS resolver has no config yet) come
 * back as `{error}` so a polling loop can report them.
 */
export function callWhoAmI(client: grpc.Client, deadlineMs: number): Promise<CallOutcome> {
  return new Promise((resolve) => {
    client.makeUnaryRequest<unknown, WhoAmIReply>(WHO_AM_I_PATH, serializeJson, deserializeJson, {}, { deadline: Date.now() + deadlineMs }, (error, reply) => {
      if (error) resolve({ error: `${grpc.status[error.code] ?? error.code}: ${error.details}` });
      else if (!reply) resolve({ error: 'empty reply' });
      else resolve({ backend: reply.backend });
    });
  });
}

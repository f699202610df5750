/**
 * @module transport/csds-service
 * Client Status Discovery Service (envoy.service.status.v3): which
 * configuration each connected node actually has, per resource: ACKED,
 * NACKED, or still on its way.
 *
 * It shows other nodes' configuration, so it is guarded (csds-access.ts:
 * a node sees only itself, an admin identity or a loopback caller sees
 * everyone; sensitive fields are always redacted) and bounded: a server-wide
 * request rate, a bound on requests in progress, a response size cap, and
 * answers built in slices that yield to the event loop (csds-response.ts).
 * Every refusal is a gRPC status naming the limit and the flag that raises
 * it, and is counted in /metrics (`xds_csds_requests_total{outcome}`).
 */
import * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import type { Logger } from 'pino';
import type { CsdsOptions } from '../api-types';
import { Redactor } from '../xds/redact';
import type { ResourceStore } from '../store';
import type { AnyStream } from './ads-service';
import { csdsAccess } from './csds-access';
import type { CsdsCaller, CsdsView } from './csds-access';
import { buildClientStatusResponse } from './csds-response';
import { compileNodeMatchers } from './node-matcher';
import { TokenBucket } from './token-bucket';
import { decodeRequest, requestErrorStatus } from './request-errors';

const SERVICE = 'envoy.service.status.v3.ClientStatusDiscoveryService';
/** Repeated entries one CSDS request may carry (node matchers and their parts): far above any real query, far below a memory problem. */
const MAX_REQUEST_ENTRIES = 10_000;

/** A request that failed strict decoding: answered with its own status, never parsed further. */
class UndecodableRequest {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {}
}

/** Default answer cap: 4 MiB is also the default receive limit of gRPC clients (grpc-go, grpc-js, Envoy). */
export const DEFAULT_CSDS_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** Default CSDS requests per second, server-wide (burst: one second's worth). */
export const DEFAULT_CSDS_REQUESTS_PER_SECOND = 10;
/** Default CSDS requests being built or written at once, server-wide. */
export const DEFAULT_CSDS_MAX_CONCURRENT = 4;
/** An answer its client has not read within this long stops counting against the concurrency bound. */
export const CSDS_WRITE_STALL_MS = 10_000;

/** Why a request got no answer, as counted in metrics. */
export type CsdsOutcome = 'answered' | 'rate_limited' | 'busy' | 'too_large' | 'permission_denied' | 'invalid' | 'cancelled' | 'failed';

/** What the service needs from the server. */
export interface CsdsDeps {
  readonly root: protobuf.Root;
  readonly streams: ReadonlySet<AnyStream>;
  readonly store: ResourceStore;
  readonly logger: Logger;
  readonly options?: CsdsOptions;
  /** The xDS port's node identity pattern (`--node-id-san-regex`), if any. */
  readonly nodeIdSanPattern?: string;
  /** Told of every request's outcome. */
  onOutcome?(outcome: CsdsOutcome): void;
}

type Msg = Record<string, unknown>;
type Refusal = { readonly code: grpc.status; readonly details: string; readonly outcome: CsdsOutcome };
type Answer = { readonly ok: true; readonly bytes: Buffer } | ({ readonly ok: false } & Refusal);

/** Register CSDS (StreamClientStatus and FetchClientStatus). */
export function addCsdsService(server: grpc.Server, deps: CsdsDeps): void {
  const options = deps.options ?? {};
  const maxBytes = options.maxResponseBytes ?? DEFAULT_CSDS_MAX_RESPONSE_BYTES;
  const rate = options.requestsPerSecond ?? DEFAULT_CSDS_REQUESTS_PER_SECOND;
  const maxConcurrent = options.maxConcurrent ?? DEFAULT_CSDS_MAX_CONCURRENT;
  const log = deps.logger.child({ component: 'csds' });
  const access = csdsAccess({ nodeIdSanPattern: deps.nodeIdSanPattern, adminSanPattern: options.adminSanPattern, allowRemote: options.allowRemote });
  const bucket = new TokenBucket(rate, rate);
  const redactor = new Redactor(deps.root);
  const sources = { streams: deps.streams, store: deps.store, redactor };
  let inProgress = 0;

  const Request = deps.root.lookupType('envoy.service.status.v3.ClientStatusRequest');
  // Strict decoding, as for every other request (bounds-checked wire format,
  // repeated entries counted as they are read). grpc-js would turn a thrown
  // error into INTERNAL, so a bad request becomes a value answered with its own status.
  const deserialize = (b: Buffer): Msg => {
    try {
      return decodeRequest(Request, b, MAX_REQUEST_ENTRIES);
    } catch (err) {
      const status = requestErrorStatus(err);
      if (!status) throw err;
      return new UndecodableRequest(status.code, status.details) as unknown as Msg;
    }
  };
  const passThrough = (b: Buffer): Buffer => b;

  /** Take a slot in the concurrency bound; the returned release is idempotent. */
  const takeSlot = (): (() => void) | undefined => {
    if (inProgress >= maxConcurrent) return undefined;
    inProgress++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      inProgress--;
    };
  };

  /** The rate limit, checked as each request arrives (so pipelined requests queue no further than the burst). */
  const admit = (): Refusal | undefined =>
    bucket.take()
      ? undefined
      : { code: grpc.status.RESOURCE_EXHAUSTED, details: `CSDS request rate limit reached (${rate} per second, server-wide); retry later, or raise --csds-request-rate`, outcome: 'rate_limited' };

  /** Decide and build; a built answer comes with its concurrency slot, which the caller releases once written. */
  const answer = async (view: CsdsView, request: Msg, cancelled: () => boolean): Promise<{ answer: Answer; release: () => void }> => {
    const none = (): void => undefined;
    const refuse = (code: grpc.status, details: string, outcome: CsdsOutcome): { answer: Answer; release: () => void } => ({ answer: { ok: false, code, details, outcome }, release: none });
    if (!view.ok) return refuse(grpc.status.PERMISSION_DENIED, view.message, 'permission_denied');
    if ((request as unknown) instanceof UndecodableRequest) {
      const bad = request as unknown as UndecodableRequest;
      return refuse(bad.code, bad.details, 'invalid');
    }
    const matchers = compileNodeMatchers(request['nodeMatchers']);
    if (!matchers.ok) return refuse(grpc.status.INVALID_ARGUMENT, `invalid CSDS request: ${matchers.error}`, 'invalid');
    const release = takeSlot();
    if (!release) {
      return refuse(grpc.status.RESOURCE_EXHAUSTED, `${maxConcurrent} CSDS requests are already in progress (server-wide); retry later, or raise --csds-max-concurrent`, 'busy');
    }
    try {
      const built = await buildClientStatusResponse(
        sources,
        { nodeId: view.nodeId, matches: matchers.value, excludeResourceContents: request['excludeResourceContents'] === true },
        maxBytes,
        cancelled,
      );
      if (built.ok) return { answer: { ok: true, bytes: built.bytes }, release };
      release();
      if (built.reason === 'cancelled') return refuse(grpc.status.CANCELLED, 'CSDS request cancelled', 'cancelled');
      return refuse(
        grpc.status.RESOURCE_EXHAUSTED,
        `CSDS answer is larger than ${maxBytes} bytes (--csds-max-response-bytes) after ${built.nodesSoFar} node(s); ` +
          'narrow it with node_matchers (one node id, or a prefix of ids, page by page), or set exclude_resource_contents, or raise --csds-max-response-bytes',
        'too_large',
      );
    } catch (err) {
      release();
      log.error({ err }, 'CSDS answer failed');
      return refuse(grpc.status.INTERNAL, `CSDS answer failed: ${(err as Error).message}`, 'failed');
    }
  };

  const report = (view: CsdsView, a: Answer): void => {
    deps.onOutcome?.(a.ok ? 'answered' : a.outcome);
    if (!a.ok && a.code !== grpc.status.CANCELLED) {
      log[a.outcome === 'permission_denied' ? 'warn' : 'debug']({ code: grpc.status[a.code], who: view.ok ? view.who : undefined, error: a.details }, 'CSDS request refused');
    }
  };

  /** Write with the slot held until grpc-js has taken the bytes, or CSDS_WRITE_STALL_MS passed. */
  const write = (call: grpc.ServerWritableStream<Msg, Buffer> | grpc.ServerDuplexStream<Msg, Buffer>, bytes: Buffer, release: () => void, done: () => void): void => {
    const stall = setTimeout(release, CSDS_WRITE_STALL_MS);
    stall.unref();
    call.write(bytes, () => {
      clearTimeout(stall);
      release();
      done();
    });
  };

  const fail = (call: grpc.ServerWritableStream<Msg, Buffer> | grpc.ServerDuplexStream<Msg, Buffer>, a: Refusal): void => {
    call.emit('error', { code: a.code, details: a.details, metadata: new grpc.Metadata() });
  };

  const definition = {
    StreamClientStatus: {
      path: `/${SERVICE}/StreamClientStatus`,
      requestStream: true,
      responseStream: true,
      requestSerialize: passThrough,
      requestDeserialize: deserialize,
      responseSerialize: passThrough,
      responseDeserialize: passThrough,
    },
    // FetchClientStatus is unary on the wire. It is served through the server-streaming
    // handler (one request, one message, then the status: the same bytes a unary call
    // sends) because only a stream's write callback says when the answer has left.
    FetchClientStatus: {
      path: `/${SERVICE}/FetchClientStatus`,
      requestStream: false,
      responseStream: true,
      requestSerialize: passThrough,
      requestDeserialize: deserialize,
      responseSerialize: passThrough,
      responseDeserialize: passThrough,
    },
  } as unknown as grpc.ServiceDefinition;

  server.addService(definition, {
    StreamClientStatus: (call: grpc.ServerDuplexStream<Msg, Buffer>) => {
      // Pipelined requests are answered one at a time, in order: the next is built only once
      // the previous answer has been written, so a call holds at most one answer in memory.
      const view = access(call as unknown as CsdsCaller);
      const queue: Msg[] = [];
      let busy = false;
      let ended = false;
      let halfClosed = false;
      const cancelled = (): boolean => ended || call.cancelled;
      const pump = (): void => {
        if (busy || ended) return;
        const request = queue.shift();
        if (!request) {
          if (halfClosed) {
            ended = true;
            call.end();
          }
          return;
        }
        busy = true;
        void answer(view, request, cancelled).then(({ answer: a, release }) => {
          report(view, a);
          if (ended) return release();
          if (!a.ok) {
            ended = true;
            release();
            return fail(call, a);
          }
          write(call, a.bytes, release, () => {
            busy = false;
            pump();
          });
        });
      };
      call.on('data', (request: Msg) => {
        if (ended) return;
        const refused = admit();
        if (refused) {
          ended = true;
          report(view, { ok: false, ...refused });
          return fail(call, refused);
        }
        queue.push(request);
        pump();
      });
      call.on('end', () => {
        halfClosed = true;
        pump();
      });
      call.on('cancelled', () => void (ended = true));
      call.on('error', () => void (ended = true));
    },
    FetchClientStatus: (call: grpc.ServerWritableStream<Msg, Buffer>) => {
      const view = access(call as unknown as CsdsCaller);
      const refused = admit();
      if (refused) {
        report(view, { ok: false, ...refused });
        return fail(call, refused);
      }
      void answer(view, call.request, () => call.cancelled).then(({ answer: a, release }) => {
        report(view, a);
        if (!a.ok) {
          release();
          return fail(call, a);
        }
        write(call, a.bytes, release, () => undefined);
        call.end();
      });
    },
  });
}

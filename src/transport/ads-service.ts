/**
 * @module transport/ads-service
 * Box ⑥: grpc-js handlers for ADS (StreamAggregatedResources and
 * DeltaAggregatedResources) and every per-type discovery service, SotW and
 * delta, on one port. Requests arrive as raw Buffers and are decoded here so
 * a malformed message ends only its own stream with a clear status;
 * responses leave as pre-built Buffers.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { KNOWN_RESOURCE_TYPES } from '../xds/resource-types';
import { DeltaStream, SotwStream, StreamRequestError } from '../stream';
import type { StreamContext } from '../stream';
import type { RequestCodec } from './codec';
import { requestErrorStatus } from './request-errors';
import type { ResponseCache } from './response-cache';
import { DeltaCallSink, SotwCallSink } from './stream-writer';
import type { WriteStats } from './stream-writer';
import type { Admission, LimitVerdict } from './limits';
import type { IdentityVerdict } from './identity';
import { WRITE_STALL_MS } from './write-budget';
import type { WriteBudget } from './write-budget';
import { http2StreamOf, resetStream } from './http2-stream';
import { messageDecoderOf, releaseReadSlices } from './read-slices';
import { FramedMessage, passFramedMessages, serializeFramed } from './framed-message';
import { clientString } from '../observe/client-string';
import { CountedLog } from '../observe/counted-log';

/** A stream of either variant, as the registry holds it. */
export type AnyStream = SotwStream | DeltaStream;

/** What the handlers need. */
export interface TransportDeps {
  readonly ctx: StreamContext;
  readonly codec: RequestCodec;
  readonly cache: ResponseCache;
  readonly stats: WriteStats;
  readonly logger: Logger;
  /** Every open stream, for status pages and shutdown. */
  readonly streams: Set<AnyStream>;
  readonly admission: Admission;
  /** Server-wide bound on unflushed response bytes. */
  readonly budget: WriteBudget;
  /** Checks the node id against the client certificate, when configured. */
  readonly identity?: (call: grpc.ServerDuplexStream<Buffer, FramedMessage>, nodeId: string) => IdentityVerdict;
  /** Told of every refused or limit-ended stream, by reason. */
  onRejected?(reason: string): void;
  /** While draining, new streams are refused with UNAVAILABLE. */
  readonly draining: () => boolean;
}

interface ServiceSpec {
  readonly service: string;
  readonly sotw?: string;
  readonly delta?: string;
  /** undefined = ADS (any type). */
  readonly typeUrl?: string;
}

/** Every discovery service we serve: ADS, then each type's own service from its record. */
export const DISCOVERY_SERVICES: readonly ServiceSpec[] = [
  { service: 'envoy.service.discovery.v3.AggregatedDiscoveryService', sotw: 'StreamAggregatedResources', delta: 'DeltaAggregatedResources' },
  ...KNOWN_RESOURCE_TYPES.flatMap((t) => (t.service ? [{ ...t.service, typeUrl: t.typeUrl }] : [])),
];

const passThrough = (b: Buffer): Buffer => b;
/** The inverse of serializeFramed, for the definition's completeness: only a client would call it. */
const framePayload = (payload: Buffer): FramedMessage => FramedMessage.copyOf(payload);

/** A discovery call as our handlers see it: requests as bytes, responses written framed (framed-message.ts). */
type DiscoveryCall = grpc.ServerDuplexStream<Buffer, FramedMessage>;

function bidi(path: string): grpc.MethodDefinition<Buffer, FramedMessage> {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: serializeFramed,
    responseDeserialize: framePayload,
  };
}

let nextStreamId = 0;

/** Longest status detail sent back (and logged) when a request ends its stream. */
const FAIL_DETAILS_MAX_CHARS = 1024;

/**
 * Streams the server ends or refuses on its own in bursts (admission, stalled
 * writes), logged as a count per interval rather than a line each: under
 * overload thousands go at once, and the client only sees its stream end.
 */
class BurstLogs {
  readonly admission: CountedLog;
  readonly evicted: CountedLog;
  /** The last refusal's message (it names the limit and how to raise it). */
  lastAdmission = '';
  /** Fields of the last evicted stream, as an example. */
  lastEvicted: Record<string, unknown> = {};
  /** The grpc-js internals this server has said it cannot reach; once each is enough. */
  readonly #warnedHidden = new Set<string>();
  readonly #log: Logger;

  constructor(log: Logger, budget: WriteBudget) {
    this.#log = log;
    this.admission = new CountedLog(log, 'warn', (n) => ({ fields: { refused: n }, msg: `refused ${n} new stream(s): ${this.lastAdmission}` }));
    this.evicted = new CountedLog(log, 'warn', (n) => ({
      fields: { reset: n, ...this.lastEvicted, limitBytes: budget.stalledLimitBytes },
      msg:
        `reset ${n} stream(s) whose client had not read its last response for over ${WRITE_STALL_MS / 1000} s: ` +
        `responses held for clients that stopped reading exceed --max-stalled-bytes (${budget.stalledLimitBytes} bytes), and the longest-stalled go first; ` +
        'raise --max-stalled-bytes to let more non-reading clients keep their streams',
    }));
  }

  /**
   * Say once per server that this grpc-js version hides `what` and what that
   * costs: the server still serves, without the workaround that needs it.
   */
  warnHidden(what: string, cost: string): void {
    if (this.#warnedHidden.has(what)) return;
    this.#warnedHidden.add(what);
    this.#log.warn(`this grpc-js version hides ${what}: ${cost}; run the grpc-js version package-lock.json names`);
  }
}

/** What the discovery services hold past registration: their counted logs. */
export interface DiscoveryServices {
  /** Write the counts not yet logged (refused and reset streams); the server is stopping. */
  flushLogs(): void;
}

/** Register every discovery service on `server`. */
export function addDiscoveryServices(server: grpc.Server, deps: TransportDeps): DiscoveryServices {
  const logs = new BurstLogs(deps.logger, deps.budget);
  for (const spec of DISCOVERY_SERVICES) {
    const definition: Record<string, grpc.MethodDefinition<Buffer, FramedMessage>> = {};
    const impl: grpc.UntypedServiceImplementation = {};
    if (spec.sotw) {
      definition[spec.sotw] = bidi(`/${spec.service}/${spec.sotw}`);
      impl[spec.sotw] = (call: DiscoveryCall) => serve(call, 'sotw', spec.typeUrl, deps, logs);
    }
    if (spec.delta) {
      definition[spec.delta] = bidi(`/${spec.service}/${spec.delta}`);
      impl[spec.delta] = (call: DiscoveryCall) => serve(call, 'delta', spec.typeUrl, deps, logs);
    }
    server.addService(definition as grpc.ServiceDefinition, impl);
  }
  return {
    flushLogs: () => {
      logs.admission.close();
      logs.evicted.close();
    },
  };
}

function serve(call: DiscoveryCall, variant: 'sotw' | 'delta', typeUrl: string | undefined, deps: TransportDeps, logs: BurstLogs): void {
  const id = ++nextStreamId;
  if (deps.draining()) {
    call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'server is draining; reconnect to another replica', metadata: new grpc.Metadata() });
    return;
  }
  const admitted = deps.admission.admit();
  if (!admitted.ok) {
    deps.onRejected?.(admitted.reason);
    logs.lastAdmission = admitted.message;
    logs.admission.note();
    call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: admitted.message, metadata: new grpc.Metadata() });
    return;
  }
  const checkRequest = deps.admission.forStream();
  // Enforced by the decoder while it counts, so an oversized request is refused before it is built.
  const decodeLimits = { maxNames: deps.admission.limits.maxNamesPerRequest, maxNodeEntries: deps.admission.limits.maxNodeEntries };
  let peer = 'unknown';
  try {
    peer = call.getPeer();
  } catch {
    /* peer is informational */
  }
  const h2 = http2StreamOf(call);
  const decoder = messageDecoderOf(call);
  if (!decoder) {
    logs.warnHidden('its message decoder', 'each stream keeps the socket read of its last request until the next one, which costs memory and a full garbage collection per update round at scale');
  }
  if (!passFramedMessages(call)) {
    logs.warnHidden('how it frames a response', 'it copies every response before writing it, which costs memory and CPU on large initial syncs');
  }
  // The server-wide stalled ledger is full and this stream has gone longest without reading: reset it, which frees its response.
  const onEvicted = (): void => {
    deps.onRejected?.('stalled');
    logs.lastEvicted = { streamId: id, peer, unflushedBytes: stream.unflushedBytes };
    logs.evicted.note();
    finish();
    if (!resetStream(h2)) call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: 'stream reset: the client stopped reading its responses', metadata: new grpc.Metadata() });
  };
  const stream: AnyStream =
    variant === 'sotw'
      ? new SotwStream(deps.ctx, new SotwCallSink(call, deps.cache, deps.stats, deps.budget, (t, bytes) => deps.ctx.events.onResponse?.('sotw', t, bytes), onEvicted), peer, typeUrl, id)
      : new DeltaStream(deps.ctx, new DeltaCallSink(call, deps.cache, deps.stats, deps.budget, (t, bytes) => deps.ctx.events.onResponse?.('delta', t, bytes), onEvicted), peer, typeUrl, id);
  deps.streams.add(stream);
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    stream.close();
    deps.streams.delete(stream);
  };
  const fail = (code: grpc.status, fullDetails: string): void => {
    // Details may quote the request (type URLs, names, decoder errors): bound them for the log and the trailer.
    const details = clientString(fullDetails, FAIL_DETAILS_MAX_CHARS);
    deps.logger.warn({ streamId: id, peer, code: grpc.status[code], error: details }, 'ending stream on a bad request');
    finish();
    call.emit('error', { code, details, metadata: new grpc.Metadata() });
  };

  const refuse = (verdict: LimitVerdict): void => {
    if (verdict.ok) return;
    deps.onRejected?.(verdict.reason);
    fail(grpc.status.RESOURCE_EXHAUSTED, verdict.message);
  };
  // Takes the request, not its node: the node is decoded lazily and only the first request's matters.
  const verifyIdentity = (req: { readonly node?: { readonly id: string } }): boolean => {
    if (!deps.identity || stream.node) return true;
    const verdict = deps.identity(call, req.node?.id ?? '');
    if (verdict.ok) return true;
    deps.onRejected?.('identity');
    fail(grpc.status.PERMISSION_DENIED, verdict.message);
    return false;
  };
  call.on('data', (bytes: Buffer) => {
    if (finished) return;
    // `bytes` is grpc-js's own copy; the read it came in is kept only by the decoder's slices (read-slices.ts).
    if (decoder) releaseReadSlices(decoder);
    try {
      if (stream instanceof SotwStream) {
        const req = deps.codec.decodeSotw(bytes, decodeLimits);
        const verdict = checkRequest();
        if (!verdict.ok) return refuse(verdict);
        if (!verifyIdentity(req)) return;
        stream.handleRequest(req);
      } else {
        // The reply after every response (type_url and response_nonce only) is settled from its bytes;
        // anything else, or a stream that cannot take it that way, is decoded in full.
        const plain = deps.codec.plainDeltaAck(bytes);
        const decoded = plain ? undefined : deps.codec.decodeDelta(bytes, decodeLimits);
        const verdict = checkRequest();
        if (!verdict.ok) return refuse(verdict);
        if (plain && stream.settlePlainReply(plain.typeUrl, plain)) return;
        const req = decoded ?? deps.codec.decodeDelta(bytes, decodeLimits);
        if (!verifyIdentity(req)) return;
        stream.handleRequest(req);
      }
    } catch (err) {
      const refused = requestErrorStatus(err);
      if (refused) {
        deps.onRejected?.(refused.reason);
        fail(refused.code, refused.details);
      } else if (err instanceof StreamRequestError) fail(err.grpcCode, err.message);
      else {
        deps.logger.error({ streamId: id, err }, 'internal error handling a request');
        fail(grpc.status.INTERNAL, `internal error: ${(err as Error).message}`);
      }
    }
  });
  // Rule F36: a client half-close ends the stream with OK and frees its watches.
  call.on('end', () => {
    finish();
    call.end();
  });
  call.on('error', () => finish());
  call.on('cancelled', () => finish());
  call.on('close', () => finish());
}

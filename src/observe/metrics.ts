/**
 * @module observe/metrics
 * Prometheus metrics (prom-client), one registry per server. Counters are
 * bumped on events; gauges that describe current state (streams per type,
 * resources per type, worker pool) are read at scrape time through callbacks
 * the composition root supplies, so nothing is counted twice or drifts.
 * Under `--processes N` the primary sums each metric over the serving
 * processes (prom-client's AggregatorRegistry) unless its `aggregator` says
 * otherwise: state every process holds alike is not summed.
 */
import * as client from 'prom-client';
import { typeLabel } from '../xds/resource-types';
import { LabelledHistogram, PendingResponseCounts } from './write-metrics';

/** State read at scrape time. */
export interface MetricsSources {
  /** [variant, typeUrl, count] for every open stream's subscribed types. */
  streamsByType(): Iterable<readonly [string, string, number]>;
  /** [typeUrl, count] of stored resources. */
  resourcesByType(): Iterable<readonly [string, number]>;
  pool(): { queued: number; utilization: number; threads: number };
  writeBudget(): { inFlight: number; waiting: number; stalled: number; stalledStreams: number };
  /** Response bodies built, and writes that reused one already built (encode once, write many). */
  responseBodies(): { built: number; reused: number };
  /** Client connections open, and bytes of unfinished request messages held. */
  connections(): { open: number; requestBufferBytes: number };
}

/** Buckets for push latency: 1 ms … 10 s. */
const PUSH_LATENCY_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The server's metrics. */
export class ServerMetrics {
  readonly registry = new client.Registry();
  readonly #streamsOpened: client.Counter<'variant'>;
  readonly #pushes: client.Counter<'variant' | 'type'>;
  readonly #pushLatency: LabelledHistogram;
  /** Per-write counts for #pushes and #bytes, applied at scrape time (write-metrics.ts). */
  readonly #pendingResponses = new PendingResponseCounts();
  readonly #bytes: client.Counter<'variant' | 'type'>;
  readonly #nacks: client.Counter<'variant' | 'type'>;
  readonly #reloads: client.Counter<'result'>;
  readonly #rejectedStreams: client.Counter<'reason'>;
  readonly #refusedConnections: client.Counter<'reason'>;
  readonly #closedConnections: client.Counter<'reason'>;
  readonly #csdsRequests: client.Counter<'outcome'>;
  readonly #configRefusals: client.Counter<'reason'>;
  readonly #reloadRetries: client.Counter<'reason'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    new client.Gauge({
      name: 'xds_streams',
      help: 'Open xDS streams by variant and subscribed resource type',
      labelNames: ['variant', 'type'],
      registers,
      collect() {
        this.reset();
        for (const [variant, type, n] of sources.streamsByType()) this.set({ variant, type: typeLabel(type) }, n);
      },
    });
    new client.Gauge({
      name: 'xds_resources',
      help: 'Resources in the store by type (all node groups)',
      labelNames: ['type'],
      registers,
      // --processes N: every process holds the same configuration; a sum would count it N times.
      aggregator: 'max',
      collect() {
        this.reset();
        for (const [type, n] of sources.resourcesByType()) this.set({ type: typeLabel(type) }, n);
      },
    });
    new client.Gauge({
      name: 'xds_encode_pool_queue',
      help: 'Encode tasks waiting for a worker',
      registers,
      collect() {
        this.set(sources.pool().queued);
      },
    });
    new client.Gauge({
      name: 'xds_encode_pool_utilization',
      help: 'Fraction of time the encode workers were busy since start (piscina utilization)',
      registers,
      aggregator: 'average',
      collect() {
        this.set(sources.pool().utilization);
      },
    });
    new client.Gauge({
      name: 'xds_write_inflight_bytes',
      help: 'Large response bytes written to streams that are reading and not yet flushed (bounded by --max-inflight-bytes)',
      registers,
      collect() {
        this.set(sources.writeBudget().inFlight);
      },
    });
    new client.Gauge({
      name: 'xds_write_waiting_streams',
      help: 'Streams waiting for room in the in-flight write budget',
      registers,
      collect() {
        this.set(sources.writeBudget().waiting);
      },
    });
    new client.Gauge({
      name: 'xds_write_stalled_bytes',
      help: 'Response bytes held for clients that stopped reading (unflushed for 5 s; bounded by --max-stalled-bytes)',
      registers,
      collect() {
        this.set(sources.writeBudget().stalled);
      },
    });
    new client.Gauge({
      name: 'xds_write_stalled_streams',
      help: 'Streams holding a response their client has not read for 5 s (each holds at most one)',
      registers,
      collect() {
        this.set(sources.writeBudget().stalledStreams);
      },
    });
    new client.Counter({
      name: 'xds_response_bodies_total',
      help: 'Response bodies by how they were obtained: built, or reused from another stream',
      labelNames: ['how'],
      registers,
      collect() {
        const { built, reused } = sources.responseBodies();
        this.reset();
        this.inc({ how: 'built' }, built);
        this.inc({ how: 'reused' }, reused);
      },
    });
    new client.Gauge({
      name: 'xds_connections_open',
      help: 'Client connections open on the xDS port (bounded by --max-connections)',
      registers,
      collect() {
        this.set(sources.connections().open);
      },
    });
    new client.Gauge({
      name: 'xds_request_buffer_bytes',
      help: 'Bytes of unfinished request messages held (bounded by --max-request-buffer-bytes, and per connection by --max-connection-request-buffer-bytes)',
      registers,
      collect() {
        this.set(sources.connections().requestBufferBytes);
      },
    });
    this.#refusedConnections = new client.Counter({ name: 'xds_connections_refused_total', help: 'Connections closed on accept, by reason (max_connections)', labelNames: ['reason'], registers });
    this.#closedConnections = new client.Counter({
      name: 'xds_connections_closed_total',
      help:
        'Connections the server closed itself, by reason (never_used: no stream by the idle timeout and not closed gracefully, destroyed; ' +
        'idle: no stream by the idle timeout, closed gracefully; after_streams: closed after carrying streams without the client ending it: keepalive timeout, max connection age or drain)',
      labelNames: ['reason'],
      registers,
    });
    this.#streamsOpened = new client.Counter({ name: 'xds_streams_opened_total', help: 'Streams opened', labelNames: ['variant'], registers });
    // Whichever of the two is read first brings both up to date.
    const applyResponses = (): void =>
      this.#pendingResponses.drain((variant, typeUrl, responses, bytes) => {
        const labels = { variant, type: typeLabel(typeUrl) };
        this.#pushes.inc(labels, responses);
        this.#bytes.inc(labels, bytes);
      });
    this.#pushes = new client.Counter({ name: 'xds_responses_total', help: 'Discovery responses sent', labelNames: ['variant', 'type'], registers, collect: applyResponses });
    this.#pushLatency = new LabelledHistogram({
      name: 'xds_push_latency_seconds',
      help: 'From a config change being committed to the response carrying it being written to a stream',
      labelName: 'variant',
      buckets: PUSH_LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.#bytes = new client.Counter({ name: 'xds_bytes_sent_total', help: 'Response bytes written (protobuf message bytes)', labelNames: ['variant', 'type'], registers, collect: applyResponses });
    this.#nacks = new client.Counter({ name: 'xds_nacks_total', help: 'NACKs received', labelNames: ['variant', 'type'], registers });
    this.#reloads = new client.Counter({ name: 'xds_config_reloads_total', help: 'Configuration batches applied or rejected', labelNames: ['result'], registers });
    this.#rejectedStreams = new client.Counter({ name: 'xds_streams_rejected_total', help: 'Streams refused or ended by admission control and limits', labelNames: ['reason'], registers });
    this.#csdsRequests = new client.Counter({
      name: 'xds_csds_requests_total',
      help: 'CSDS requests by outcome: answered, or refused (rate_limited, busy, too_large, permission_denied, invalid), cancelled or failed',
      labelNames: ['outcome'],
      registers,
    });
    this.#configRefusals = new client.Counter({
      name: 'xds_config_refusals_total',
      help: 'Config files refused whole, by reason: a limit (max_config_bytes, worker_heap_mb) or not a config (not_regular_file, no_document, not_a_config, no_config_files)',
      labelNames: ['reason'],
      registers,
    });
    this.#reloadRetries = new client.Counter({
      name: 'xds_config_reload_retries_total',
      help: 'Config reloads retried after a transient failure, by reason (EMFILE, read_timeout, encode_pool, ...)',
      labelNames: ['reason'],
      registers,
    });
  }

  streamOpened(variant: string): void {
    this.#streamsOpened.inc({ variant });
  }

  response(variant: string, typeUrl: string, bytes: number): void {
    this.#pendingResponses.add(variant, typeUrl, bytes);
  }

  pushLatency(variant: string, ms: number): void {
    this.#pushLatency.observe(variant, ms / 1000);
  }

  nack(variant: string, typeUrl: string): void {
    this.#nacks.inc({ variant, type: typeLabel(typeUrl) });
  }

  reload(result: 'accepted' | 'rejected'): void {
    this.#reloads.inc({ result });
  }

  streamRejected(reason: string): void {
    this.#rejectedStreams.inc({ reason });
  }

  connectionRefused(reason: string): void {
    this.#refusedConnections.inc({ reason });
  }

  connectionClosed(reason: string): void {
    this.#closedConnections.inc({ reason });
  }

  csdsRequest(outcome: string): void {
    this.#csdsRequests.inc({ outcome });
  }

  /** A config file refused whole (see ConfigProblem.refusal). */
  configRefused(reason: string): void {
    this.#configRefusals.inc({ reason });
  }

  /** A reload scheduled again after a transient failure. */
  reloadRetried(reason: string): void {
    this.#reloadRetries.inc({ reason });
  }

  /** Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

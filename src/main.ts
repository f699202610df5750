/**
 * @module main
 * The server CLI: `npm start -- --config PATH --port 18000 --admin-port 19005`,
 * also `fanout-xds serve …` (src/cli dispatches to `serve`). Without --config
 * it serves examples/basic.yaml; with --etcd-endpoints, the configuration held in etcd.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { createXdsServer, DEFAULT_PORT } from './server';
import { createLogger, defaultLogFormat, LOG_FORMATS } from './observe/logger';
import type { LogFormat } from './observe/logger';
import { startAdminServer } from './admin/admin-server';
import { defaultWorkerCount, defaultWorkerHeapMb } from './encode';
import { DEFAULT_ETCD_PREFIX } from './source';
import { EXIT_FAILURE, reportCommandError, UsageError, versionText } from './cli/usage';
import { DURATION_FORMS, parseDurationMs } from './cli/duration';
import { ETCD_CONNECTION_OPTIONS, ETCD_SECURITY_HELP, readEtcdConnection } from './cli/etcd-connection-flags';
import { DEFAULT_CONFIG_DUMP_MAX_BYTES } from './admin/config-dump';
import { raiseFdLimit } from './observe/fd-limit';
import type { EtcdSourceOptions } from './api-types';
import { handedConnections, isServingProcess, joinPrimary, parseProcessCount, runPrimary, servingProcessArgs } from './cluster';
import { bindXdsPort } from './transport';

const HELP = `fanout-xds: an xDS management server (SotW + delta ADS) built for fan-out

Usage: fanout-xds serve [options]    (npm start -- [options])

  --config PATH                 YAML/JSON file or directory of them to serve and watch
                                (default: the built-in example, examples/basic.yaml)
  --port N                      gRPC port for ADS and per-type xDS services (default ${DEFAULT_PORT})
  --host ADDR                   address to bind gRPC on (default ::, dual-stack IPv6 + IPv4;
                                0.0.0.0 where the host has no IPv6)
  --admin-port N                admin HTTP port: /metrics /healthz /readyz /config_dump /nodes (default 19005; 0 picks a free one)
  --no-admin                    do not start the admin HTTP server
  --admin-host ADDR             admin bind address (default 127.0.0.1: localhost only)
  --workers N                   encode worker threads (default ${defaultWorkerCount()}); with --processes, per serving process
                                (default then ${defaultWorkerCount()} divided by the process count, at least 1)
  --processes N|auto            serving processes sharing the gRPC port (auto: one per core, ${os.availableParallelism()} here;
                                default 1). With N > 1 a primary accepts on the gRPC port and hands each connection
                                to one of them, restarts any that dies, owns the admin port and aggregates it; it
                                serves no xDS itself (README "Every core: --processes")
  --allow-dangling-references   serve configs whose only fault is dangling references (warn each)
  --max-receive-bytes N         largest accepted request in bytes (default 64 MiB)
  --max-inflight-bytes N        bytes of large responses (>= 16 KiB) written but not yet flushed, all streams together (default 32 MiB)
  --reload-debounce-ms D        quiet period before a config change is applied (default 200)
  --log-level LEVEL             pino level: trace|debug|info|warn|error|silent (default info)
  --log-format pretty|json      log lines for people (pino-pretty) or JSON lines for machines
                                (default: pretty when stdout is a terminal, json otherwise)
  --admin-max-response-bytes N  largest /config_dump answer; larger asks for ?type= or ?name= (default 32 MiB)

 etcd (instead of --config; layout and outage behaviour: README "etcd source")
  --etcd-endpoints URL[,URL…]   serve the configuration held in etcd, e.g. http://127.0.0.1:2379
  --etcd-prefix PREFIX          key prefix (default /fanout-xds/)
${ETCD_SECURITY_HELP}  --replica-name NAME           this replica's name in rollout status (default host:pid; README "Rollout status")
  --status-lease-ttl SECONDS    lease TTL of the published status: how long it outlives a replica that
                                dies without stopping (default 10)

 Security
  --tls-cert FILE --tls-key FILE  serve TLS on the xDS port (PEM)
  --client-ca FILE              require client certificates signed by this CA (mTLS)
  --node-id-san-regex REGEX     node id must equal group 1 of REGEX applied to a client cert SAN
                                (e.g. '^spiffe://mesh\\.local/node/(.+)$'); else PERMISSION_DENIED

 Hardening
  --admission-rate N            new streams admitted per second; more get RESOURCE_EXHAUSTED (default unlimited)
  --admission-burst N           streams admitted at once before the rate applies (default 1000)
  --max-names-per-request N     names one request may carry (default 250000)
  --max-node-entries N          repeated entries (metadata fields, list items, extensions) a request's node may hold (default 10000)
  --stream-request-rate N       requests per second per stream, averaged (default 200, burst 20000)
  --max-connection-age-ms D     close connections after N ms (±10% jitter) so load rebalances
  --max-connection-age-grace-ms D  time streams get to finish after that (default unlimited)
  --keepalive-time-ms D         server keepalive ping interval (default 30000)
  --keepalive-timeout-ms D      wait for a ping ack before closing (default 10000)
  --drain-timeout-ms D          on SIGTERM/SIGINT: refuse new streams, end open ones over N ms, exit 0 (default 10000)

 CSDS (client status on the gRPC port; Secrets' keys are always redacted)
  --csds-admin-san-regex REGEX  client certs with a SAN matching REGEX see every node (needs --client-ca);
                                with --node-id-san-regex, other callers see only their own node
  --csds-allow-remote           with no identities configured, answer non-loopback callers too (default: loopback only)
  --csds-max-response-bytes N   largest CSDS answer; larger get RESOURCE_EXHAUSTED (default 4194304)
  --csds-request-rate N         CSDS requests per second, server-wide (default 10)
  --csds-max-concurrent N       CSDS requests built or written at once, server-wide (default 4)

 Config source
  --max-config-bytes N          largest configuration, all its files together, in bytes; larger is refused (default 64 MiB)
  --config-read-timeout-ms D    deadline for reading one config file; a slower read is retried (default 10000)
  --worker-heap-mb N            heap limit of each encode worker in MiB; a config needing more is refused (default ${defaultWorkerHeapMb()})

  -h, --help                    show this help
  --version                     print the version

 Resource bounds (memory and file descriptors stay bounded whatever clients do)
  --max-stalled-bytes N         bytes of large responses held for clients that stopped reading (unflushed
                                for 5 s), all streams together; past it the longest-stalled streams are
                                reset (default 128 MiB)
  --max-connections N           connections open at once; more are closed on accept (default: the open-file
                                limit minus a reserve of 1/8, 64 to 1024; the soft limit is raised to the hard
                                one at start where allowed)
  --idle-connection-timeout-ms D  close connections with no stream for N ms (default 30000; 0 = never)
  --max-concurrent-streams N    HTTP/2 streams one connection may have open (default 100)
  --max-session-memory-mb N     HTTP/2 session memory per connection, MB (queued responses, header tables);
                                over it the connection gets no new streams (default 64)
  --max-connection-request-buffer-bytes N  bytes of unfinished request messages one connection may hold;
                                past it the stream holding most gets RESOURCE_EXHAUSTED (default 64 MiB or
                                --max-receive-bytes, whichever is larger)
  --max-request-buffer-bytes N  the same across all connections (default 256 MiB)

 D (a duration): ${DURATION_FORMS}.
 Exit codes: 0 drained after a signal, 1 failure (config rejected at start, port in use; a second
 signal during drain), 2 usage (bad flag or value).
`;

function builtInExample(): string {
  for (const dir of [path.join(__dirname, '..', '..'), path.join(__dirname, '..')]) {
    const candidate = path.join(dir, 'examples', 'basic.yaml');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('examples/basic.yaml not found; pass --config PATH');
}

function durationFlag(value: string | undefined, name: string): number | undefined {
  return value === undefined ? undefined : parseDurationMs(value, name);
}

function logFormatFlag(value: string | undefined): LogFormat {
  if (value === undefined) return defaultLogFormat();
  if (!(LOG_FORMATS as readonly string[]).includes(value)) throw new UsageError(`--log-format must be ${LOG_FORMATS.join(' or ')}, got "${value}"`);
  return value as LogFormat;
}

function intFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${value}"`);
  return n;
}

function optionalInt(value: string | undefined, name: string): number | undefined {
  return value === undefined ? undefined : intFlag(value, name, 0);
}

/** The etcd source options from the --etcd-* flags (parsed as every command parses them), or undefined without --etcd-endpoints. */
function readEtcd(values: Record<string, string | boolean | undefined>): EtcdSourceOptions | undefined {
  const connection = readEtcdConnection(values, undefined);
  if (connection === undefined) {
    const stray = ['replica-name', 'status-lease-ttl'].find((f) => values[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --etcd-endpoints`);
    return undefined;
  }
  if (values['config'] !== undefined) throw new UsageError('--config and --etcd-endpoints are exclusive: serve a file or etcd, not both');
  return connection;
}

function readTls(certFile: string | undefined, keyFile: string | undefined, caFile: string | undefined): { cert: Buffer; key: Buffer; clientCa?: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) {
    if (caFile !== undefined) throw new UsageError('--client-ca needs --tls-cert and --tls-key');
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) throw new UsageError('--tls-cert and --tls-key go together');
  return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), clientCa: caFile !== undefined ? fs.readFileSync(caFile) : undefined };
}

/** Run the server with command-line `args` (without the command name); resolves once it is serving. */
export async function serve(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'admin-port': { type: 'string' },
      'admin-host': { type: 'string' },
      'no-admin': { type: 'boolean' },
      workers: { type: 'string' },
      processes: { type: 'string' },
      'allow-dangling-references': { type: 'boolean' },
      'max-receive-bytes': { type: 'string' },
      'max-inflight-bytes': { type: 'string' },
      'reload-debounce-ms': { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'admin-max-response-bytes': { type: 'string' },
      version: { type: 'boolean' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'client-ca': { type: 'string' },
      'node-id-san-regex': { type: 'string' },
      'admission-rate': { type: 'string' },
      'admission-burst': { type: 'string' },
      'max-names-per-request': { type: 'string' },
      'max-node-entries': { type: 'string' },
      'stream-request-rate': { type: 'string' },
      'max-connection-age-ms': { type: 'string' },
      'max-connection-age-grace-ms': { type: 'string' },
      'keepalive-time-ms': { type: 'string' },
      'keepalive-timeout-ms': { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      'csds-admin-san-regex': { type: 'string' },
      'csds-allow-remote': { type: 'boolean' },
      'csds-max-response-bytes': { type: 'string' },
      'csds-request-rate': { type: 'string' },
      'csds-max-concurrent': { type: 'string' },
      ...ETCD_CONNECTION_OPTIONS,
      'replica-name': { type: 'string' },
      'status-lease-ttl': { type: 'string' },
      // Config source
      'max-config-bytes': { type: 'string' },
      'config-read-timeout-ms': { type: 'string' },
      'worker-heap-mb': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      // Resource bounds
      'max-stalled-bytes': { type: 'string' },
      'max-connections': { type: 'string' },
      'idle-connection-timeout-ms': { type: 'string' },
      'max-concurrent-streams': { type: 'string' },
      'max-session-memory-mb': { type: 'string' },
      'max-connection-request-buffer-bytes': { type: 'string' },
      'max-request-buffer-bytes': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.version) {
    process.stdout.write(versionText());
    return;
  }
  // Every flag is read before anything starts: a bad value is a usage error, not a server left running.
  let processes: number;
  try {
    processes = parseProcessCount(values.processes);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const servingProcess = isServingProcess();
  const drainTimeoutMs = durationFlag(values['drain-timeout-ms'], 'drain-timeout-ms') ?? DEFAULT_DRAIN_TIMEOUT_MS;
  const adminPort = intFlag(values['admin-port'], 'admin-port', 19005);
  const adminWanted = adminPort >= 0 && !values['no-admin'];
  const adminMaxBytes = optionalInt(values['admin-max-response-bytes'], 'admin-max-response-bytes') ?? DEFAULT_CONFIG_DUMP_MAX_BYTES;
  const etcd = readEtcd(values);
  const configPath = etcd ? undefined : (values.config ?? builtInExample());
  const serverOptions = {
    // Unset flags fall through to the server's defaults, so each default lives in one place.
    port: optionalInt(values.port, 'port'),
    host: values.host,
    workers: optionalInt(values.workers, 'workers'),
    allowDanglingReferences: values['allow-dangling-references'] ?? false,
    maxReceiveMessageBytes: optionalInt(values['max-receive-bytes'], 'max-receive-bytes'),
    maxInflightBytes: optionalInt(values['max-inflight-bytes'], 'max-inflight-bytes'),
    reloadDebounceMs: durationFlag(values['reload-debounce-ms'], 'reload-debounce-ms'),
    configPath,
    etcd,
    replicaStatus: etcd ? { name: values['replica-name'], leaseTtlSeconds: optionalInt(values['status-lease-ttl'], 'status-lease-ttl') } : undefined,
    tls: readTls(values['tls-cert'], values['tls-key'], values['client-ca']),
    nodeIdSanPattern: values['node-id-san-regex'],
    limits: {
      admissionPerSecond: optionalInt(values['admission-rate'], 'admission-rate'),
      admissionBurst: optionalInt(values['admission-burst'], 'admission-burst'),
      maxNamesPerRequest: optionalInt(values['max-names-per-request'], 'max-names-per-request'),
      maxNodeEntries: optionalInt(values['max-node-entries'], 'max-node-entries'),
      requestsPerSecond: optionalInt(values['stream-request-rate'], 'stream-request-rate'),
    },
    maxConnectionAgeMs: durationFlag(values['max-connection-age-ms'], 'max-connection-age-ms'),
    maxConnectionAgeGraceMs: durationFlag(values['max-connection-age-grace-ms'], 'max-connection-age-grace-ms'),
    keepaliveTimeMs: durationFlag(values['keepalive-time-ms'], 'keepalive-time-ms'),
    keepaliveTimeoutMs: durationFlag(values['keepalive-timeout-ms'], 'keepalive-timeout-ms'),
    csds: {
      adminSanPattern: values['csds-admin-san-regex'],
      allowRemote: values['csds-allow-remote'] ?? false,
      maxResponseBytes: optionalInt(values['csds-max-response-bytes'], 'csds-max-response-bytes'),
      requestsPerSecond: optionalInt(values['csds-request-rate'], 'csds-request-rate'),
      maxConcurrent: optionalInt(values['csds-max-concurrent'], 'csds-max-concurrent'),
    },
    // Config source
    maxConfigBytes: optionalInt(values['max-config-bytes'], 'max-config-bytes'),
    configReadTimeoutMs: durationFlag(values['config-read-timeout-ms'], 'config-read-timeout-ms'),
    workerHeapMb: optionalInt(values['worker-heap-mb'], 'worker-heap-mb'),
    // Resource bounds
    maxStalledBytes: optionalInt(values['max-stalled-bytes'], 'max-stalled-bytes'),
    maxConnections: optionalInt(values['max-connections'], 'max-connections'),
    idleConnectionTimeoutMs: durationFlag(values['idle-connection-timeout-ms'], 'idle-connection-timeout-ms'),
    maxConcurrentStreams: optionalInt(values['max-concurrent-streams'], 'max-concurrent-streams'),
    maxSessionMemoryMb: optionalInt(values['max-session-memory-mb'], 'max-session-memory-mb'),
    maxConnectionRequestBufferBytes: optionalInt(values['max-connection-request-buffer-bytes'], 'max-connection-request-buffer-bytes'),
    maxRequestBufferBytes: optionalInt(values['max-request-buffer-bytes'], 'max-request-buffer-bytes'),
  };
  const rootLogger = createLogger(values['log-level'] ?? 'info', logFormatFlag(values['log-format']));
  // With --processes N every process writes to the same stdout: each line says which one wrote it.
  const logger = processes > 1 || servingProcess ? rootLogger.child({ pid: process.pid, role: servingProcess ? 'serving' : 'primary' }) : rootLogger;
  // Every client connection is a descriptor: use all the system allows (the connection cap's default follows it;
  // a --processes primary holds each connection it accepts until it is written to a serving process's channel).
  const fdLimit = raiseFdLimit();
  logger.info({ openFileLimit: fdLimit.after, raisedFrom: fdLimit.before?.soft !== fdLimit.after?.soft ? fdLimit.before?.soft : undefined, notRaised: fdLimit.error }, 'open-file limit');
  if (processes > 1 && !servingProcess) {
    // The primary forks this same script and serves no xDS itself: it binds the gRPC port here (as one
    // process would: same address rules, backlog and errors) and hands each connection to a serving process.
    // It reads no configuration.
    await runPrimary({
      processes,
      exec: __filename,
      args: servingProcessArgs(args, Math.max(1, Math.floor(defaultWorkerCount() / processes))),
      drainTimeoutMs,
      admin: adminWanted ? { host: values['admin-host'] ?? '127.0.0.1', port: adminPort } : undefined,
      bindXdsPort: (listener) => bindXdsPort(listener, { port: serverOptions.port ?? DEFAULT_PORT, host: serverOptions.host, log: logger }),
      logger,
    });
    return;
  }
  // A serving process binds nothing: its primary accepts and hands it connections.
  const server = await createXdsServer({ ...serverOptions, connectionSource: servingProcess ? handedConnections() : undefined, logger });
  let admin: { port: number; close(): Promise<void> } | undefined;
  try {
    // A serving process's admin port is the primary's private source: loopback, a free port, told over IPC.
    admin = adminWanted
      ? servingProcess
        ? await startAdminServer(server.internals, '127.0.0.1', 0, logger, { maxResponseBytes: adminMaxBytes })
        : await startAdminServer(server.internals, values['admin-host'] ?? '127.0.0.1', adminPort, logger, { maxResponseBytes: adminMaxBytes })
      : undefined;
  } catch (err) {
    await server.stop();
    throw err;
  }

  let draining = false;
  const shutdown = (signal: string): void => {
    if (draining) {
      // A serving process gets both the terminal's SIGINT and the primary's SIGTERM: it drains once.
      if (servingProcess) return;
      // An operator pressing Ctrl-C again wants out now: say so, and exit non-zero since streams were cut short.
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(EXIT_FAILURE);
    }
    draining = true;
    logger.info({ signal, drainTimeoutMs, secondSignal: servingProcess ? 'ignored' : 'exits at once' }, 'shutting down');
    void Promise.all([server.drain(drainTimeoutMs), admin?.close()]).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'drain failed');
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  const source = { config: configPath, etcd: etcd ? `${etcd.endpoints.join(',')} ${etcd.prefix ?? DEFAULT_ETCD_PREFIX}` : undefined };
  if (servingProcess) {
    // Not "ready": that line is the primary's, once every serving process is up.
    logger.info({ grpcPort: server.port, adminPort: admin?.port, ...source }, 'serving process ready');
    joinPrimary(server.internals.metrics.registry, { grpcPort: server.port, adminPort: admin?.port });
  } else {
    // Machine-readable line for scripts (bench, tests) that start us with --port 0; after the signal handlers, so a
    // script that signals us as soon as it reads "ready" gets a drain, not the default kill.
    logger.info({ grpcPort: server.port, adminPort: admin?.port, ...source }, 'ready');
  }
}

/** Drain time after SIGTERM/SIGINT when --drain-timeout-ms is not given. */
const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

if (require.main === module) {
  serve().catch((err: unknown) => {
    process.exit(reportCommandError('fanout-xds', err));
  });
}

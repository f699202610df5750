/**
 * @module source/etcd-client
 * Builds the `etcd3` client with the connection settings a replica needs to
 * catch up quickly after an etcd outage. The client's defaults are tuned for
 * a request/response app, not a long-lived watch: its watch reconnect
 * backoff grows to 30 s and a host's circuit breaker stays open 5 s after
 * three failures, so a replica could lag a recovered etcd by half a minute.
 * Here both are capped so the watch resumes within a few seconds of etcd
 * coming back.
 */
import type { Etcd3, IOptions } from 'etcd3';
import { XdsServerError } from '../errors';

/**
 * etcd3 loads its gRPC protos when required (about half a second here), so
 * it is required only by servers that use etcd; a file-only server never pays.
 */
function etcd3(): typeof import('etcd3') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see above
  return require('etcd3') as typeof import('etcd3');
}

/** How to reach etcd. */
export interface EtcdConnectionOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379`; `https://` for TLS. */
  readonly endpoints: readonly string[];
  /** TLS: CA bundle to verify etcd with, and a client certificate + key for mTLS (PEM). */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  /** etcd user and password (etcd auth). */
  readonly username?: string;
  readonly password?: string;
}

/** First wait before re-establishing a watch stream. */
export const WATCH_BACKOFF_INITIAL_MS = 250;
/** Longest wait between watch reconnect attempts (etcd3's default grows to 30 s). */
export const WATCH_BACKOFF_MAX_MS = 2_000;
/** A failing host is retried this soon (etcd3's default: 5 s). */
export const HOST_HALF_OPEN_AFTER_MS = 1_000;
/** Deadline of one unary call (a snapshot page, a status write). */
export const ETCD_CALL_TIMEOUT_MS = 10_000;
/** HTTP/2 keepalive: finds an etcd that went away without closing the connection (etcd's own minimum is 5 s). */
const KEEPALIVE_TIME_MS = 10_000;
const KEEPALIVE_TIMEOUT_MS = 5_000;
/** gRPC's channel reconnect backoff (defaults 1 s growing to 120 s): kept short for the same reason. */
const CHANNEL_RECONNECT_MAX_MS = 2_000;

/**
 * The TLS and auth part of a client's options, after checking that the
 * pieces go together (certificate with key, user with password, TLS with
 * https:// endpoints). Shared by the server's clients and `fanout-xds`'s
 * commands, so every etcd client takes the same settings the same way.
 */
export function etcdCredentialOptions(options: EtcdConnectionOptions): Pick<IOptions, 'credentials' | 'auth'> {
  if (options.endpoints.length === 0) throw new XdsServerError('XDS_ERR_OPTIONS', 'etcd needs at least one endpoint, e.g. http://127.0.0.1:2379');
  const { tls } = options;
  if ((tls?.cert === undefined) !== (tls?.key === undefined)) throw new XdsServerError('XDS_ERR_OPTIONS', 'an etcd client certificate and its key go together (--etcd-cert and --etcd-key)');
  const hasCredentials = tls?.ca !== undefined || tls?.cert !== undefined;
  if (hasCredentials && !options.endpoints.every((e) => e.startsWith('https://'))) {
    throw new XdsServerError('XDS_ERR_OPTIONS', 'etcd TLS options (--etcd-ca, --etcd-cert, --etcd-key) need https:// endpoints in --etcd-endpoints');
  }
  if ((options.username === undefined) !== (options.password === undefined)) throw new XdsServerError('XDS_ERR_OPTIONS', 'an etcd username and its password go together');
  const out: Pick<IOptions, 'credentials' | 'auth'> = {};
  if (hasCredentials) out.credentials = { rootCertificate: tls?.ca as Buffer, privateKey: tls?.key, certChain: tls?.cert };
  if (options.username !== undefined && options.password !== undefined) out.auth = { username: options.username, password: options.password };
  return out;
}

/** A client tuned for a long-lived watch. */
export function createEtcdClient(options: EtcdConnectionOptions): Etcd3 {
  const { Etcd3: Client, isRecoverableError } = etcd3();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with etcd3, only by servers that use etcd
  const { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry } = require('cockatiel') as typeof import('cockatiel');
  const credentials = etcdCredentialOptions(options);
  const config: IOptions = {
    hosts: [...options.endpoints],
    grpcOptions: {
      // A snapshot page or a watch response carrying a large transaction can exceed gRPC's 4 MiB default.
      'grpc.max_receive_message_length': -1,
      'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
      'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': WATCH_BACKOFF_INITIAL_MS,
      'grpc.max_reconnect_backoff_ms': CHANNEL_RECONNECT_MAX_MS,
    },
    // Streams (the watch) live for hours; unary calls get a deadline so a hung etcd cannot stall a snapshot forever.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS }),
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: HOST_HALF_OPEN_AFTER_MS, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 3 }),
      // etcd3 asks this for `.next()` on every reset and reconnect; a factory is what it uses at run time.
      watchBackoff: new ExponentialBackoff({ initialDelay: WATCH_BACKOFF_INITIAL_MS, maxDelay: WATCH_BACKOFF_MAX_MS }) as unknown as NonNullable<
        NonNullable<IOptions['faultHandling']>['watchBackoff']
      >,
    },
  };
  return new Client({ ...config, ...credentials });
}

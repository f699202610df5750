/**
 * @module loadgen/tls
 * TLS and mTLS for the simulated nodes, with ghz's and grpcurl's flags:
 * `--cacert` trusts a CA, `--cert` and `--key` present a client certificate
 * (mTLS), `--insecure` speaks TLS without verifying the server's certificate.
 * Without any of them the nodes speak plaintext. Files are read once on the
 * main thread; the worker threads get the PEM text.
 */
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { UsageError } from './args';
import type { Args } from './args';

/** What the nodes present and trust; undefined in {@link FleetOptions} means plaintext. */
export interface TlsOptions {
  /** PEM of the CA(s) to trust; undefined = the system's roots. */
  readonly caPem?: string;
  /** Client certificate chain and key, PEM (mTLS). */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** false with `--insecure`: accept any server certificate. */
  readonly verifyServer: boolean;
}

function readPem(flag: string, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of a PEM file`);
  }
  // Name the file, never echo its content: it may be a private key.
  if (!text.includes('-----BEGIN ')) throw new UsageError(`--${flag} ${file}: not a PEM file (no "-----BEGIN" line)`);
  return text;
}

/** `--cacert`, `--cert`, `--key`, `--insecure`; undefined when none is given (plaintext). */
export function parseTlsOptions(args: Args): TlsOptions | undefined {
  const ca = args.string('cacert');
  const cert = args.string('cert');
  const key = args.string('key');
  const insecure = args.flag('insecure');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together: give both for mTLS, or neither');
  if (ca === undefined && cert === undefined && !insecure) return undefined;
  return {
    ...(ca !== undefined ? { caPem: readPem('cacert', ca) } : {}),
    ...(cert !== undefined && key !== undefined ? { certPem: readPem('cert', cert), keyPem: readPem('key', key) } : {}),
    verifyServer: !insecure,
  };
}

/** Channel credentials for `tls` (plaintext when undefined). */
export function channelCredentials(tls: TlsOptions | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const buf = (pem: string | undefined): Buffer | null => (pem === undefined ? null : Buffer.from(pem));
  return grpc.credentials.createSsl(buf(tls.caPem), buf(tls.keyPem), buf(tls.certPem), tls.verifyServer ? {} : { rejectUnauthorized: false, checkServerIdentity: () => undefined });
}

/**
 * @module cli/etcd-connection-flags
 * How every command reaches etcd: `serve`, `apply`, `get`, `delete` and
 * `status` take the same flags (endpoints, prefix, TLS, auth), parsed here
 * once. Kept apart from ./etcd-flags (the writers' transaction limits) so
 * `serve` loads no part of the write path. The password is never a flag
 * (`ps` shows flags): it comes from `--etcd-password-file` or
 * `ETCD_PASSWORD`, and is never printed.
 */
import * as fs from 'node:fs';
import { DEFAULT_ETCD_PREFIX } from '../source/etcd-keys';
import type { EtcdConnectionOptions } from '../source/etcd-client';
import { UsageError } from './usage';

/** parseArgs options for reaching etcd. */
export const ETCD_CONNECTION_OPTIONS = {
  'etcd-endpoints': { type: 'string' },
  'etcd-prefix': { type: 'string' },
  'etcd-ca': { type: 'string' },
  'etcd-cert': { type: 'string' },
  'etcd-key': { type: 'string' },
  'etcd-username': { type: 'string' },
  'etcd-password-file': { type: 'string' },
} as const;

/** The flag names, e.g. for "--etcd-ca needs --etcd-endpoints". */
export const ETCD_CONNECTION_FLAGS = Object.keys(ETCD_CONNECTION_OPTIONS) as (keyof typeof ETCD_CONNECTION_OPTIONS)[];

/** Help lines for the TLS and auth flags (each command writes its own --etcd-endpoints and --etcd-prefix lines). */
export const ETCD_SECURITY_HELP = `  --etcd-ca FILE                CA bundle that verifies etcd's certificate (https:// endpoints)
  --etcd-cert FILE --etcd-key FILE  client certificate and key for etcd mTLS (PEM)
  --etcd-username USER          etcd user; its password comes from --etcd-password-file FILE
                                or the ETCD_PASSWORD environment variable (never a flag: ps shows flags)
`;

/** How to reach etcd, as the flags say. */
export interface EtcdConnectionFlags extends EtcdConnectionOptions {
  readonly prefix: string;
}

type Values = Partial<Record<keyof typeof ETCD_CONNECTION_OPTIONS, string | boolean>>;

function readFlagFile(flag: string, file: string, help: string | undefined): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`--${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, help);
  }
}

/**
 * The connection from parsed flag values. Without --etcd-endpoints it uses
 * `defaultEndpoint`, or returns undefined when there is none (serve: no
 * etcd), after checking that no other etcd flag was given.
 */
export function readEtcdConnection(values: Values, help: string | undefined, defaultEndpoint?: string): EtcdConnectionFlags | undefined {
  const str = (name: keyof typeof ETCD_CONNECTION_OPTIONS): string | undefined => values[name] as string | undefined;
  const given = str('etcd-endpoints') ?? defaultEndpoint;
  if (given === undefined) {
    const stray = ETCD_CONNECTION_FLAGS.find((f) => values[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --etcd-endpoints`, help);
    return undefined;
  }
  const endpoints = given
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0) throw new UsageError('--etcd-endpoints needs at least one URL', help);
  const username = str('etcd-username');
  const passwordFile = str('etcd-password-file');
  if (username === undefined && passwordFile !== undefined) throw new UsageError('--etcd-password-file needs --etcd-username', help);
  let password: string | undefined;
  if (passwordFile !== undefined)
    password = readFlagFile('etcd-password-file', passwordFile, help)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  else if (username !== undefined) password = process.env['ETCD_PASSWORD'];
  if (username !== undefined && password === undefined) throw new UsageError('--etcd-username needs a password: --etcd-password-file FILE or the ETCD_PASSWORD environment variable', help);
  const file = (name: 'etcd-ca' | 'etcd-cert' | 'etcd-key'): Buffer | undefined => {
    const path = str(name);
    return path === undefined ? undefined : readFlagFile(name, path, help);
  };
  const ca = file('etcd-ca');
  const cert = file('etcd-cert');
  const key = file('etcd-key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--etcd-cert and --etcd-key go together', help);
  if ((ca || cert) && !endpoints.every((e) => e.startsWith('https://'))) throw new UsageError('--etcd-ca, --etcd-cert and --etcd-key need https:// URLs in --etcd-endpoints', help);
  return {
    endpoints,
    prefix: str('etcd-prefix') ?? DEFAULT_ETCD_PREFIX,
    ...(ca || cert ? { tls: { ca, cert, key } } : {}),
    ...(username !== undefined ? { username, password } : {}),
  };
}

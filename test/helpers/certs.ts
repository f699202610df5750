/**
 * @module test/helpers/certs
 * Test PKI made at test time with the `openssl` binary, in a temporary
 * directory, so no private key is ever committed: two independent CAs, a
 * server certificate for 127.0.0.1, and client certificates whose SAN is a
 * SPIFFE-style URI naming a node.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A certificate and its private key, PEM. */
export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Everything the TLS fault tests need. */
export interface TestPki {
  readonly dir: string;
  /** The CA that signs the server and the good client certificates. */
  readonly ca: Buffer;
  /** An unrelated CA: trusting it, or holding a certificate it signed, must fail the handshake. */
  readonly otherCa: Buffer;
  /** Server certificate for IP 127.0.0.1 and DNS localhost, signed by `ca`. */
  readonly server: KeyPair;
  /** Client certificates by node name: SAN `URI:spiffe://fault.test/node/<name>`, signed by `ca`. */
  readonly clients: Readonly<Record<string, KeyPair>>;
  /** A client certificate for node `intruder`, signed by `otherCa`. */
  readonly foreignClient: KeyPair;
  /** Delete the directory. */
  remove(): void;
}

/** The SPIFFE trust domain used in client SANs. */
export const SPIFFE_PREFIX = 'spiffe://fault.test/node/';

const VALID_DAYS = '2';

function openssl(args: readonly string[], cwd: string): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('the TLS fault tests need the `openssl` binary on PATH to generate throw-away certificates (Debian: apt-get install openssl)');
  }
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
}

function makeCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      VALID_DAYS,
      '-subj',
      `/CN=fanout-xds fault test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

function makeLeaf(dir: string, ca: string, name: string, san: string, usage: 'serverAuth' | 'clientAuth'): KeyPair {
  fs.writeFileSync(path.join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${usage}\nsubjectAltName=${san}\n`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      String(Date.now() + Math.floor(Math.random() * 1e6)),
      '-days',
      VALID_DAYS,
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
  return { cert: fs.readFileSync(path.join(dir, `${name}.crt`)), key: fs.readFileSync(path.join(dir, `${name}.key`)) };
}

/** Generate the PKI for client nodes `clientNodes`. Throws with a clear message if openssl is missing. */
export function makeTestPki(clientNodes: readonly string[]): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-fault-pki-'));
  try {
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    const server = makeLeaf(dir, 'ca', 'server', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
    const clients: Record<string, KeyPair> = {};
    for (const node of clientNodes) clients[node] = makeLeaf(dir, 'ca', `client-${node}`, `URI:${SPIFFE_PREFIX}${node}`, 'clientAuth');
    const foreignClient = makeLeaf(dir, 'other-ca', 'client-intruder', `URI:${SPIFFE_PREFIX}intruder`, 'clientAuth');
    return {
      dir,
      ca: fs.readFileSync(path.join(dir, 'ca.crt')),
      otherCa: fs.readFileSync(path.join(dir, 'other-ca.crt')),
      server,
      clients,
      foreignClient,
      remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

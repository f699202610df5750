/**
 * @module test/fault/loadgen-tls.test
 * The load generator against our server in TLS and mTLS mode, through its
 * command line (`--cacert`, `--cert`, `--key`, `--insecure`), with
 * certificates generated at test time with `openssl` (./certs). A node that
 * cannot complete the handshake never syncs, and the stream-end reason names
 * the gRPC status.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exampleResources, startServer } from '../helpers/server';
import type { TestServer } from '../helpers/server';
import { makeTestPki } from '../helpers/certs';
import type { TestPki } from '../helpers/certs';

const LOADGEN_JS = path.join(__dirname, '..', '..', 'loadgen', 'index.js');
const NODES = 3;
const RUN_LIMIT_MS = 60_000;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly json?: { nodes: { everSynced: number }; options: { tls: unknown }; streamEndReasons: Record<string, number> };
}

let pki: TestPki;
let files: Record<'ca' | 'otherCa' | 'cert' | 'key', string>;

before(() => {
  pki = makeTestPki(['node-0']);
  const client = pki.clients['node-0']!;
  files = { ca: path.join(pki.dir, 'lg-ca.pem'), otherCa: path.join(pki.dir, 'lg-other-ca.pem'), cert: path.join(pki.dir, 'lg-client.crt'), key: path.join(pki.dir, 'lg-client.key') };
  fs.writeFileSync(files.ca, pki.ca);
  fs.writeFileSync(files.otherCa, pki.otherCa);
  fs.writeFileSync(files.cert, client.cert);
  fs.writeFileSync(files.key, client.key);
});
after(() => pki?.remove());

/** Run the loadgen CLI (async: the server in this process must keep serving). */
function loadgen(port: number, args: readonly string[], durationS = 20): Promise<Outcome> {
  const json = path.join(pki.dir, `lg-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const argv = [LOADGEN_JS, '--target', `127.0.0.1:${port}`, '--nodes', String(NODES), '--workers', '1', '--until-synced', '--duration', String(durationS), '--json', json, ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { timeout: RUN_LIMIT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      const out: Outcome = { code, stdout, stderr, ...(fs.existsSync(json) ? { json: JSON.parse(fs.readFileSync(json, 'utf8')) as Outcome['json'] } : {}) };
      fs.rmSync(json, { force: true });
      resolve(out);
    });
  });
}

async function withServer(tls: { clientCa?: Buffer }, body: (ts: TestServer) => Promise<void>): Promise<void> {
  const ts = await startServer({ tls: { cert: pki.server.cert, key: pki.server.key, ...tls }, resources: exampleResources() });
  try {
    await body(ts);
  } finally {
    await ts.stop();
  }
}

function synced(o: Outcome, what: string): void {
  assert.equal(o.code, 0, `${what}: exit ${o.code}\n${o.stdout}\n${o.stderr}`);
  assert.equal(o.json?.nodes.everSynced, NODES, `${what}: every node synced`);
}

function refused(o: Outcome, what: string): void {
  assert.equal(o.code, 1, `${what}: --until-synced fails when nodes never sync (exit ${o.code})\n${o.stderr}`);
  assert.equal(o.json?.nodes.everSynced, 0, `${what}: no node synced`);
  assert.ok(
    Object.keys(o.json?.streamEndReasons ?? {}).some((r) => r.startsWith('UNAVAILABLE ')),
    `${what}: stream ends named UNAVAILABLE: ${JSON.stringify(o.json?.streamEndReasons)}`,
  );
}

describe('loadgen over TLS', () => {
  it('syncs with --cacert against a TLS server, and not when it trusts another CA', async () => {
    await withServer({}, async (ts) => {
      const ok = await loadgen(ts.port, ['--cacert', files.ca]);
      synced(ok, 'TLS trusting the CA');
      assert.deepEqual(ok.json?.options.tls, { ca: true, clientCertificate: false, verifyServer: true });
      assert.doesNotMatch(ok.stdout + JSON.stringify(ok.json), /BEGIN/, 'no PEM text in the output');
      refused(await loadgen(ts.port, ['--cacert', files.otherCa], 3), 'TLS trusting another CA');
    });
  });

  it('syncs with --insecure without any CA', async () => {
    await withServer({}, async (ts) => synced(await loadgen(ts.port, ['--insecure']), 'TLS without verification'));
  });

  it('syncs with --cert and --key against an mTLS server, and not without a client certificate', async () => {
    await withServer({ clientCa: pki.ca }, async (ts) => {
      const ok = await loadgen(ts.port, ['--cacert', files.ca, '--cert', files.cert, '--key', files.key]);
      synced(ok, 'mTLS with a client certificate');
      assert.deepEqual(ok.json?.options.tls, { ca: true, clientCertificate: true, verifyServer: true });
      refused(await loadgen(ts.port, ['--cacert', files.ca], 3), 'mTLS without a client certificate');
    });
  });

  it('rejects half an mTLS pair and unreadable or non-PEM files, naming the flag and file', async () => {
    const half = await loadgen(1, ['--cert', files.cert]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--cert and --key go together/);
    const missing = await loadgen(1, ['--cacert', path.join(pki.dir, 'nope.pem')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--cacert .*nope\.pem: cannot read it \(ENOENT\)/);
    const notPem = path.join(pki.dir, 'lg-not-pem.txt');
    fs.writeFileSync(notPem, 'secret-looking content');
    const bad = await loadgen(1, ['--key', notPem, '--cert', files.cert]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--key .*lg-not-pem\.txt: not a PEM file/);
    assert.doesNotMatch(bad.stderr, /secret-looking/, 'the file content is never echoed');
  });
});

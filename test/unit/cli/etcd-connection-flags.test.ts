import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readEtcdConnection } from '../../../src/cli/etcd-connection-flags';
import { UsageError } from '../../../src/cli/usage';
import { EtcdUnavailableError } from '../../../src/errors';

test('without --etcd-endpoints and no default there is no etcd, and any other etcd flag is a usage error naming it', () => {
  assert.equal(readEtcdConnection({}, undefined), undefined);
  assert.throws(
    () => readEtcdConnection({ 'etcd-ca': '/x' }, undefined),
    (err: unknown) => err instanceof UsageError && /--etcd-ca needs --etcd-endpoints/.test(err.message),
  );
});

test('the flags become endpoints, prefix, TLS material and a password read from its file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-xds-flags-'));
  try {
    const write = (name: string, text: string): string => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    };
    const c = readEtcdConnection(
      {
        'etcd-endpoints': 'https://a:2379, https://b:2379',
        'etcd-ca': write('ca', 'CA'),
        'etcd-cert': write('crt', 'CERT'),
        'etcd-key': write('key', 'KEY'),
        'etcd-username': 'ops',
        'etcd-password-file': write('pw', 'secret\n'),
      },
      undefined,
    );
    assert.deepEqual(c?.endpoints, ['https://a:2379', 'https://b:2379']);
    assert.equal(c?.prefix, '/fanout-xds/');
    assert.equal(c?.tls?.ca?.toString(), 'CA');
    assert.equal(c?.tls?.cert?.toString(), 'CERT');
    assert.equal(c?.username, 'ops');
    assert.equal(c?.password, 'secret', 'one trailing newline is not part of the password');
    assert.equal(readEtcdConnection({}, undefined, 'http://127.0.0.1:2379')?.endpoints[0], 'http://127.0.0.1:2379');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('flags that cannot work together are usage errors before anything connects', () => {
  const usage = (values: Record<string, string>, pattern: RegExp): void =>
    assert.throws(
      () => readEtcdConnection(values, undefined, 'http://127.0.0.1:2379'),
      (err: unknown) => err instanceof UsageError && pattern.test(err.message),
    );
  usage({ 'etcd-ca': '/no/such/file' }, /^--etcd-ca \/no\/such\/file: cannot read it \(ENOENT\)/);
  usage({ 'etcd-password-file': '/x' }, /--etcd-password-file needs --etcd-username/);
  usage({ 'etcd-endpoints': ' , ' }, /--etcd-endpoints needs at least one URL/);
  const saved = process.env['ETCD_PASSWORD'];
  delete process.env['ETCD_PASSWORD'];
  try {
    usage({ 'etcd-username': 'ops' }, /--etcd-username needs a password/);
  } finally {
    if (saved !== undefined) process.env['ETCD_PASSWORD'] = saved;
  }
});

test('an etcd failure names the flag to check, by what the client reported', () => {
  const hint = (message: string): string => new EtcdUnavailableError(['https://e:2379'], new Error(message)).message;
  assert.match(hint('14 UNAVAILABLE: No connection established. Last error: Error: unable to verify the first certificate.'), /check --etcd-ca/);
  assert.match(hint('Last error: Error: self-signed certificate in certificate chain'), /check --etcd-ca/);
  assert.match(hint('ssl3_read_bytes:sslv3 alert bad certificate: SSL alert number 42'), /check --etcd-cert and --etcd-key/);
  assert.match(hint('etcdserver: authentication failed, invalid user ID or password'), /check --etcd-username and its password/);
  assert.match(hint('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379'), /check --etcd-endpoints and that etcd is running/);
});

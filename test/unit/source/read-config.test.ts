import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigReader } from '../../../src/source/read-config';
import { ConfigReadError } from '../../../src/errors';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-read-'));
}

/** Resolve with `what`'s outcome, or 'hung' after `ms` (a blocked open never settles). */
async function within<T>(ms: number, what: Promise<T>): Promise<T | unknown | 'hung'> {
  const timer = new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms).unref());
  return Promise.race([
    what.then(
      (v) => v,
      (err: unknown) => err,
    ),
    timer,
  ]);
}

function release(fifo: string): void {
  try {
    fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
  } catch {
    /* ENXIO: nobody is blocked reading it */
  }
}

test('a file is read as bytes, and a directory as its config files in name order, skipping dotfiles and other extensions', async () => {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'resources: []\n');
    fs.writeFileSync(path.join(dir, 'a.json'), '{"resources": []}');
    fs.writeFileSync(path.join(dir, 'c.YML'), 'resources: []\n');
    fs.writeFileSync(path.join(dir, '.hidden.yaml'), 'x');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
    const files = await new ConfigReader().read(dir);
    assert.deepEqual(
      files.map((f) => path.basename(f.file)),
      ['a.json', 'b.yaml', 'c.YML'],
    );
    assert.equal(Buffer.from(files[0]!.bytes).toString('utf8'), '{"resources": []}');
    // Each file's bytes have an ArrayBuffer of their own, so they can be transferred to a worker.
    for (const f of files) assert.equal(f.bytes.byteLength, f.bytes.buffer.byteLength);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a FIFO is refused at once, as the config path and inside a config directory', async () => {
  const dir = tempDir();
  const fifo = path.join(dir, 'config.yaml');
  execFileSync('mkfifo', [fifo]);
  try {
    const reader = new ConfigReader();
    for (const target of [fifo, dir]) {
      const outcome = await within(2_000, reader.read(target));
      assert.ok(outcome instanceof ConfigReadError, `${target}: expected a refusal, got ${String(outcome)}`);
      assert.equal(outcome.reason, 'not_regular_file');
      assert.equal(outcome.transient, false);
      assert.match(outcome.message, /config\.yaml: not a regular file but a FIFO \(named pipe\)/);
    }
  } finally {
    release(fifo);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a symlink to a device is refused', async () => {
  const dir = tempDir();
  try {
    fs.symlinkSync('/dev/zero', path.join(dir, 'config.yaml'));
    const outcome = await within(2_000, new ConfigReader().read(path.join(dir, 'config.yaml')));
    assert.ok(outcome instanceof ConfigReadError);
    assert.match(outcome.message, /not a regular file but a character device/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a file over the byte limit is refused before it is read, naming the flag', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, 'x'.repeat(2048));
    const outcome = await within(2_000, new ConfigReader({ maxBytes: 1024 }).read(file));
    assert.ok(outcome instanceof ConfigReadError);
    assert.equal(outcome.reason, 'max_config_bytes');
    assert.match(outcome.message, /the file is 2048 bytes \(0\.0 MiB\), over the --max-config-bytes limit of 1024 bytes \(0\.0 MiB\); raise --max-config-bytes/);
    assert.equal((await new ConfigReader({ maxBytes: 2048 }).read(file))[0]?.bytes.byteLength, 2048);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory with no config files is refused, saying how to serve nothing', async () => {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, 'README'), 'x');
    const outcome = await within(2_000, new ConfigReader().read(dir));
    assert.ok(outcome instanceof ConfigReadError);
    assert.equal(outcome.reason, 'no_config_files');
    assert.match(outcome.detail, /^the directory has no config files .* to serve nothing, put a file with `resources: \[\]` in it$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a read past its deadline fails as transient (to be retried), naming the flag', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, Buffer.alloc(32 * 1024 * 1024, 0x20));
    const outcome = await within(10_000, new ConfigReader({ readTimeoutMs: 1 }).read(file));
    assert.ok(outcome instanceof ConfigReadError, `expected a timeout, got ${String(outcome)}`);
    assert.equal(outcome.reason, 'read_timeout');
    assert.equal(outcome.transient, true);
    assert.match(outcome.message, /reading took longer than --config-read-timeout-ms \(1 ms\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing path is an ordinary rejection, not retried', async () => {
  const outcome = await within(2_000, new ConfigReader().read(path.join(os.tmpdir(), 'fanout-no-such-config.yaml')));
  assert.ok(outcome instanceof ConfigReadError);
  assert.equal(outcome.transient, false);
  assert.match(outcome.message, /cannot read: ENOENT/);
});

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliProcess } from '../helpers/cli-process';
import { metricValue, scrape } from '../helpers/admin-scrape';
import { EnvoyLike } from '../helpers/envoy-like';
import { clustersConfig } from '../helpers/watched-config';

/** Files in the big directory, and the descriptor limit it must start under. */
const DIRECTORY_FILES = 2_000;
const LOW_FD_LIMIT = 256;
/** Descriptor limit for the reload test: the CLI needs about 30 at rest. */
const TIGHT_FD_LIMIT = 64;
const CONVERGE_MS = 30_000;

function clusterNames(client: EnvoyLike): string[] {
  return Object.keys(client.view().clusters).sort();
}

function openFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

test(`a ${DIRECTORY_FILES}-file config directory loads under ulimit -n ${LOW_FD_LIMIT}: files are read a few at a time and the workers start`, { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-manyfiles-'));
  let cli: CliProcess | undefined;
  let client: EnvoyLike | undefined;
  try {
    for (let i = 0; i < DIRECTORY_FILES; i++) fs.writeFileSync(path.join(dir, `c${String(i).padStart(5, '0')}.yaml`), clustersConfig(`c${i}`));
    // Before the fix: every file opened at once, EMFILE in the main thread and in the workers loading their code,
    // and an unhandled piscina 'error' event ended the process.
    cli = await CliProcess.start(['--config', dir, '--port', '0', '--no-admin', '--workers', '2'], { fdLimit: LOW_FD_LIMIT, readyTimeoutMs: 90_000 });
    const applied = await cli.waitForLog((l) => l.msg === 'configuration applied', 1_000);
    assert.equal(applied['resources'], DIRECTORY_FILES);
    client = await EnvoyLike.start(cli.grpcPort, { variant: 'sotw', node: { id: 'many-files' } });
    const c = client;
    await c.waitUntil(
      () => clusterNames(c).length === DIRECTORY_FILES,
      CONVERGE_MS,
      () => `client holds ${clusterNames(c).length} clusters`,
    );
    assert.equal(cli.stderr, '');
  } finally {
    client?.close();
    await cli?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a reload that fails with EMFILE is retried with backoff and applied once descriptors are free, without another edit', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-emfile-'));
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, clustersConfig('a'));
  const held: net.Socket[] = [];
  let cli: CliProcess | undefined;
  let client: EnvoyLike | undefined;
  try {
    // --max-connections well past the descriptor limit: by default the connection cap keeps descriptors free for
    // config reads, and this test needs them all taken (as anything else in the process could take them).
    cli = await CliProcess.start(['--config', file, '--port', '0', '--admin-port', '0', '--workers', '1', '--reload-debounce-ms', '50', '--max-connections', String(4 * TIGHT_FD_LIMIT)], {
      fdLimit: TIGHT_FD_LIMIT,
    });
    const pid = cli.child.pid as number;
    // Take every descriptor the server has left: each accepted connection costs it one. Keep
    // connecting past the limit (libuv sheds those with a reserved descriptor) so none is left over.
    for (let i = 0; i < 2 * TIGHT_FD_LIMIT; i++) {
      const socket = net.connect(cli.grpcPort, '127.0.0.1');
      socket.on('error', () => undefined);
      held.push(socket);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(openFds(pid) >= TIGHT_FD_LIMIT, `the server holds ${openFds(pid)} descriptors, short of its limit ${TIGHT_FD_LIMIT}`);
    const logged = cli.logs.length;
    fs.writeFileSync(file, clustersConfig('a', 'b'));
    const retrying = await cli.waitForLog(
      (l) => cli!.logs.indexOf(l) >= logged && l.msg === 'configuration not read for a transient reason; retrying, still serving the last good configuration',
      15_000,
    );
    assert.equal(retrying['reason'], 'EMFILE');
    // Wait for at least one more retry, each later than the one before.
    const second = await cli.waitForLog((l) => cli!.logs.indexOf(l) > cli!.logs.indexOf(retrying) && l.msg === retrying.msg, 15_000);
    assert.ok(Number(second['retryInMs']) > Number(retrying['retryInMs']), `backoff: ${String(second['retryInMs'])} ms after ${String(retrying['retryInMs'])} ms`);
    assert.equal(
      cli.logs.slice(logged).some((l) => l.msg === 'configuration applied'),
      false,
    );

    for (const s of held.splice(0)) s.destroy();
    const applied = await cli.waitForLog((l) => cli!.logs.indexOf(l) >= logged && l.msg === 'configuration applied', 15_000);
    assert.equal(applied['resources'], 2);
    client = await EnvoyLike.start(cli.grpcPort, { variant: 'sotw', node: { id: 'after-emfile' } });
    const c = client;
    await c.waitUntil(
      () => clusterNames(c).join() === 'a,b',
      CONVERGE_MS,
      () => `client holds [${clusterNames(c).join(', ')}]`,
    );
    const samples = await scrape(cli.adminPort as number);
    assert.ok(metricValue(samples, 'xds_config_reload_retries_total', { reason: 'EMFILE' }) >= 2);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlog since the edit:\n${cli?.logs.map((l) => JSON.stringify(l)).join('\n')}`);
  } finally {
    for (const s of held) s.destroy();
    client?.close();
    await cli?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

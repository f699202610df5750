/**
 * @module test/fault/operator-cli.test
 * The command line as an operator meets it, on the real processes: a route
 * to a missing cluster is refused at start (and there is no last good
 * configuration to fall back on), or served with a warning naming route,
 * virtual host and cluster; --version and --help on every command; one exit
 * code and one line for usage errors; a busy admin port named as such; a
 * second Ctrl-C during a drain exits at once, saying so; pretty logs.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { T } from '../helpers/service-paths';
import { runFanout } from '../helpers/fanout-cli';
import { CliProcess } from '../helpers/cli-process';
import { RawXdsStream } from '../helpers/raw-stream';
import { runMain } from './main-run';
import { meshYaml, writeConfig } from './operator-config';

/** Liveness bounds for a loaded shared machine, not speed claims. */
const DEADLINE_MS = 30_000;
const START_MS = 90_000;
const BASE = ['--port', '0', '--host', '127.0.0.1', '--workers', '1'];

test('a route to a missing cluster rejects the first config: the process says there is no last good configuration and exits 1 naming route, virtual host and cluster', async () => {
  const file = writeConfig(meshYaml({ routeCluster: 'missing' }));
  const run = await runMain(['--config', file, ...BASE, '--no-admin']);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /virtual_hosts\[0\]\.routes\[0\]\.route\.cluster: dangling reference: Cluster "missing" does not exist \(named by route "api" in virtual host "vh0"\)/);
  assert.match(run.stdout, /configuration rejected; there is no last good configuration to serve/);
  assert.doesNotMatch(run.stdout, /still serving the last good configuration/);
});

test('with --allow-dangling-references the route is served and the warning names route, virtual host and cluster', async () => {
  const file = writeConfig(meshYaml({ routeCluster: 'missing' }));
  const cli = await CliProcess.start(['--config', file, ...BASE, '--no-admin', '--allow-dangling-references'], { readyTimeoutMs: START_MS });
  try {
    const warning = await cli.waitForLog((l) => l.msg === 'serving a dangling reference (--allow-dangling-references)', DEADLINE_MS);
    assert.match(
      String(warning['problem']),
      /resources\[1\] \(r0\): virtual_hosts\[0\]\.routes\[0\]\.route\.cluster: dangling reference: Cluster "missing" does not exist \(named by route "api" in virtual host "vh0"\)/,
    );
  } finally {
    await cli.kill();
  }
});

test('--version and --help work on every command and go to stdout with exit 0', async () => {
  for (const args of [['--version'], ['serve', '--version'], ['apply', '--version'], ['get', '--version'], ['delete', '--version'], ['apply', 'x.yaml', '--version']]) {
    const run = await runFanout(args);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout, /^fanout-xds \d+\.\d+\.\d+\S* \(node v\d+/, args.join(' '));
  }
  const direct = await runMain(['--version']);
  assert.equal(direct.code, 0);
  assert.match(direct.stdout, /^fanout-xds \d+\.\d+\.\d+/);
  for (const args of [['--help'], ['help'], ['serve', '--help'], ['apply', '--help'], ['get', '--help'], ['delete', '--help'], ['serve', '-h']]) {
    const run = await runFanout(args);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout, /Usage: fanout-xds/, args.join(' '));
    assert.equal(run.stderr, '');
  }
  const serveHelp = await runMain(['--help']);
  assert.match(serveHelp.stdout, /--log-format pretty\|json/);
  assert.match(serveHelp.stdout, /--version/);
});

test('usage errors exit 2 everywhere with one line and a pointer to --help, not the whole help', async () => {
  const cases: [string[], RegExp][] = [
    [[], /missing command/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['--port', '1'], /"--port" is not a command/],
    [['serve', '--bogus'], /Unknown option '--bogus'/],
    [['serve', '--drain-timeout-ms', 'soon'], /--drain-timeout-ms must be .*10s/],
    [['serve', '--log-format', 'xml'], /--log-format must be json or pretty/],
    [['serve', '--port', 'x'], /--port must be an integer/],
    [['serve', '--etcd-prefix', '/p/'], /--etcd-prefix needs --etcd-endpoints/],
    [['apply'], /needs at least one config file/],
    [['get', 'gadget'], /unknown resource type "gadget"/],
  ];
  for (const [args, message] of cases) {
    const run = await runFanout(args);
    const what = `fanout-xds ${args.join(' ')}: ${run.stderr}`;
    assert.equal(run.code, 2, what);
    assert.match(run.stderr, message, what);
    assert.match(run.stderr, /--help/, what);
    assert.doesNotMatch(run.stderr, /Usage:/, what);
    assert.ok(run.stderr.trim().split('\n').length <= 2, what);
  }
  for (const args of [['--bogus'], ['--keepalive-time-ms', '5 s']]) {
    const run = await runMain(args);
    assert.equal(run.code, 2, `main.js ${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, /Run fanout-xds --help/);
  }
});

test('a busy admin port fails the start with a message naming --admin-port, like a busy gRPC port names --port (with --processes too)', async () => {
  const first = await CliProcess.start([...BASE, '--admin-port', '0'], { readyTimeoutMs: START_MS });
  try {
    const second = await runMain([...BASE, '--admin-port', String(first.adminPort)]);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*; choose another --admin-port or stop what holds it/);
    const grpcBusy = await runMain(['--port', String(first.grpcPort), '--host', '127.0.0.1', '--workers', '1', '--no-admin']);
    assert.equal(grpcBusy.code, 1, grpcBusy.stderr);
    assert.match(grpcBusy.stderr, /choose another --port or stop what holds it/);
    // --processes: the primary binds the gRPC port itself, before forking: the same error, and no process forked.
    const fleetBusy = await runMain(['--processes', '2', '--port', String(first.grpcPort), '--host', '127.0.0.1', '--workers', '1', '--no-admin']);
    assert.equal(fleetBusy.code, 1, fleetBusy.stderr);
    assert.match(fleetBusy.stderr, /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*; choose another --port or stop what holds it/);
    assert.doesNotMatch(fleetBusy.stdout, /serving process forked/, 'the busy port fails the start before any serving process is forked');
  } finally {
    await first.kill();
  }
});

test('a second SIGINT during the drain is announced and exits at once, non-zero', async () => {
  // A drain window in minutes, written with a unit: the drain is still going when the second signal comes.
  const cli = await CliProcess.start([...BASE, '--no-admin', '--drain-timeout-ms', '2m'], { readyTimeoutMs: START_MS });
  const streams: RawXdsStream[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      const s = new RawXdsStream({ port: cli.grpcPort, variant: 'sotw', node: { id: `n-${i}` }, autoAck: true });
      s.subscribeWildcard(T.CLUSTER);
      streams.push(s);
    }
    await Promise.all(streams.map((s) => s.waitFor((r) => r.names.includes('example_cluster'), DEADLINE_MS, 'the example cluster')));
    cli.signal('SIGINT');
    const shutting = await cli.waitForLog((l) => l.msg === 'shutting down', DEADLINE_MS);
    assert.equal(shutting['drainTimeoutMs'], 120_000);
    cli.signal('SIGINT');
    const exit = await cli.exited;
    assert.equal(exit.code, 1, `stderr: ${cli.stderr}`);
    assert.ok(
      cli.logs.some((l) => l.msg === 'second signal: exiting now'),
      'the second signal is announced',
    );
  } finally {
    for (const s of streams) s.close();
    await cli.kill();
  }
});

test('--log-format pretty writes readable lines; without it a pipe gets JSON', async () => {
  const main = path.join(__dirname, '..', '..', 'src', 'main.js');
  const child = spawn(process.execPath, [main, ...BASE, '--no-admin', '--log-format', 'pretty'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within ${DEADLINE_MS} ms: ${out}`)), DEADLINE_MS);
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (/INFO.*: ready/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    assert.doesNotMatch(out.split('\n')[0] ?? '', /^\{/, 'not JSON');
    assert.match(out, /\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, 'a readable time');
  } finally {
    child.kill('SIGKILL');
  }
});

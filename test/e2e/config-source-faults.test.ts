import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { createXdsServer, ConfigInvalidError, formatProblem } from '../../src/index';
import { clustersConfig, startWatched } from '../helpers/watched-config';

/** A fake /etc/shadow: what a config path symlinked to the real one would expose. */
const SHADOW_HASHES = ['$6$Qm9vYmFyYmF6$k3sVxJq0zPn9yHfTqLw2uE1rXo8cA5dGbN7mZiS4tU6vW3yR0pKjHlFgDsEaQwC2xB9nM1oP8iU7yT6rE5wQ4.', '$y$j9T$abcdEFGHijklMNOP$qrstUVWXyz0123456789ABCDEFGHIJKLmnopqrstuvw'];
const FAKE_SHADOW = `root:${SHADOW_HASHES[0]}:19876:0:99999:7:::\ndaemon:*:19876:0:99999:7:::\nalice:${SHADOW_HASHES[1]}:19876:0:99999:7:::\n`;

/** Every `n`-character window of `secret`: finding none of them in a text means it shows at most n-1 characters of it. */
function windows(secret: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= secret.length; i++) out.push(secret.slice(i, i + n));
  return out;
}

function assertNoWindow(text: string, secret: string, n: number, what: string): void {
  const leaked = windows(secret, n).find((w) => text.includes(w));
  assert.equal(leaked, undefined, `${what} shows ${n}+ characters of a secret: ${leaked}`);
}

/** The problems of a 'configuration rejected' log line, one per line. */
function problemsOf(line: Record<string, unknown>): string {
  return (line['problems'] as string[]).join('\n');
}

function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

test('a config path swapped for a symlink to a secret file is refused without any of it reaching the log, and the last good config keeps serving', async () => {
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-secret-'));
  const shadow = path.join(secrets, 'shadow');
  fs.writeFileSync(shadow, FAKE_SHADOW);
  const w = await startWatched(
    (dir) => {
      fs.writeFileSync(path.join(dir, 'config.yaml'), clustersConfig('a'));
      return path.join(dir, 'config.yaml');
    },
    ['a'],
  );
  try {
    const revision = w.server.stats().revision;
    const responses = w.client.log.length;
    const since = w.log.length;
    fs.rmSync(w.configPath);
    fs.symlinkSync(shadow, w.configPath);
    const rejected = await w.waitForLog('configuration rejected; still serving the last good configuration', since);
    assert.match(problemsOf(rejected), /config\.yaml: not a config document: no "resources", "node_groups" or short-form "spec" at the top level \(it has 3 other top-level keys\)/);
    const text = w.log.join('');
    for (const hash of SHADOW_HASHES) assertNoWindow(text, hash, 8, 'the log');
    for (const user of ['root:', 'daemon:', 'alice:']) assert.equal(text.includes(user), false, `the log names shadow entry ${user}`);
    assert.equal(w.server.stats().revision, revision);
    assert.deepEqual(w.clientClusters(), ['a']);
    assert.equal(w.client.log.length, responses, 'the client got a response after a refused file');
    assert.equal(await w.metric('xds_config_refusals_total', { reason: 'not_a_config' }), 1);

    // The same file as the first config: the server refuses to start, and the error shows none of it.
    await assert.rejects(createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, configPath: shadow }), (err: unknown) => {
      assert.ok(err instanceof ConfigInvalidError);
      assert.match(err.message, /not a config document/);
      for (const hash of SHADOW_HASHES) assertNoWindow(err.message, hash, 8, 'the start-up error');
      return true;
    });
  } finally {
    await w.stop();
    fs.rmSync(secrets, { recursive: true, force: true });
  }
});

test('no message built from config input echoes a long value: every kind of problem shows keys, paths and at most a short escaped excerpt', async () => {
  // 200 characters, with a newline and an escape sequence that could forge a log line or repaint a terminal.
  const SECRET = `s3cr3t-${'Zx9Qw7Lm4Kp2Rt8Vb6Nc1Hd5Jf3Gs0Ay'.repeat(6)}\n\u001b[31mfake log line`;
  const S = JSON.stringify(SECRET);
  const C = '"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster';
  // Keys are names, shown whole up to 56 characters (the longest Envoy field name is 52), longer ones cut to 28.
  const KEY_WINDOW = 29;
  const VALUE_WINDOW = 21;
  const cases: [string, string, string, number?][] = [
    ['top-level key beside resources', 'a.yaml', `resources: []\n${S}: 1\n`, KEY_WINDOW],
    ['unknown field of a resource', 'a.yaml', `resources:\n  - ${C}\n    name: c\n    ${S}: 1\n`, KEY_WINDOW],
    ['enum value', 'a.yaml', `resources:\n  - ${C}\n    name: c\n    lb_policy: ${S}\n`],
    ['duration value', 'a.yaml', `resources:\n  - ${C}\n    name: c\n    connect_timeout: ${S}\n`],
    ['string where a number goes', 'a.yaml', `resources:\n  - ${C}\n    name: c\n    per_connection_buffer_limit_bytes: ${S}\n`],
    ['map key', 'a.yaml', `resources:\n  - ${C}\n    name: c\n    metadata: { filter_metadata: { ${S}: 5 } }\n`, KEY_WINDOW],
    ['unknown @type', 'a.yaml', `resources:\n  - "@type": ${S}\n    name: c\n`],
    ['node group regex', 'a.yaml', `node_groups:\n  - name: g\n    match: { id: ${JSON.stringify(`(${SECRET}`)} }\n`],
    ['short-form address', 'a.yaml', `spec:\n  listeners:\n  - { name: l, address: ${S}, port: 1 }\n`],
    ['short-form prefix', 'a.yaml', `spec:\n  clusters: [{ name: x }]\n  listeners:\n  - { name: l, address: 127.0.0.1, port: 1, routes: [{ name: r, prefix: ${S}, clusters: [x] }] }\n`],
    ['short-form unknown key', 'a.yaml', `spec:\n  listeners:\n  - { name: l, address: 127.0.0.1, port: 1, ${S}: 1 }\n`, KEY_WINDOW],

    ['YAML syntax error', 'a.yaml', `resources: |${SECRET.slice(0, 60)}\n  x\n`],
    ['JSON syntax error', 'a.json', `{"resources": [${SECRET.slice(0, 60)}]}`],
    ['JSON syntax error after a value', 'a.json', `{"resources": [] ${S}}`],
  ];
  const log: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void log.push(line) });
  const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger });
  try {
    for (const [what, file, text, window = VALUE_WINDOW] of cases) {
      const since = log.length;
      const result = await server.loadConfigDocuments([{ file, text }]);
      assert.equal(result.ok, false, `${what}: accepted`);
      if (result.ok) continue;
      assert.ok(result.message.startsWith(`${file}: `), `${what}: the message names the file: ${result.message}`);
      assertNoWindow(result.message, SECRET, window, `${what}: the result message`);
      assertNoWindow(log.slice(since).join(''), SECRET, window, `${what}: the log`);
      for (const p of result.problems)
        assert.equal(/[\n\r]/.test(formatProblem(p)) || formatProblem(p).includes('\u001b'), false, `${what}: a control character reached the message: ${formatProblem(p)}`);
    }
    // A resource name is shown longer (up to 128 characters, so a user recognises it), but never a long one whole.
    const nameCases: [string, string, RegExp][] = [
      ['dangling reference', `resources:\n  - ${C}\n    name: ${S}\n    type: EDS\n    eds_cluster_config: { eds_config: { ads: {} } }\n`, /dangling reference/],
      ['short-form undefined cluster', `spec:\n  listeners:\n  - { name: l, address: 127.0.0.1, port: 1, routes: [{ name: r, prefix: /, clusters: [${S}] }] }\n`, /is not defined/],
    ];
    for (const [what, text, expected] of nameCases) {
      const named = await server.loadConfigDocuments([{ file: 'a.yaml', text }]);
      assert.equal(named.ok, false, `${what}: accepted`);
      if (named.ok) continue;
      assert.match(named.message, expected);
      assertNoWindow(named.message, SECRET, 65, `${what}: the message`);
      for (const p of named.problems) assert.equal(/[\n\r]/.test(formatProblem(p)) || formatProblem(p).includes('\u001b'), false, `${what}: a control character reached the message`);
    }
  } finally {
    await server.stop();
  }
});

test('an emptied config file is refused (serving nothing must be written as resources: []) and every node keeps its clusters', async () => {
  const w = await startWatched(
    (dir) => {
      fs.writeFileSync(path.join(dir, 'config.yaml'), clustersConfig('a', 'b'));
      return path.join(dir, 'config.yaml');
    },
    ['a', 'b'],
  );
  try {
    const revision = w.server.stats().revision;
    const responses = w.client.log.length;
    for (const [what, content] of [
      ['truncated to nothing', ''],
      ['only whitespace', ' \n\n'],
      ['only comments', '# being edited\n---\n'],
    ] as const) {
      const since = w.log.length;
      fs.writeFileSync(w.configPath, content); // what `: > config.yaml`, or an editor that truncates first, leaves
      const rejected = await w.waitForLog('configuration rejected; still serving the last good configuration', since);
      assert.match(problemsOf(rejected), /config\.yaml: the file has no document .*to serve nothing, write `resources: \[\]`/, what);
    }
    assert.equal(w.server.stats().revision, revision);
    assert.deepEqual(w.clientClusters(), ['a', 'b']);
    assert.equal(w.client.log.length, responses, 'the client got a response (a removal) after an emptied file');
    assert.equal(await w.metric('xds_config_refusals_total', { reason: 'no_document' }), 3);

    // Said explicitly, nothing is served.
    fs.writeFileSync(w.configPath, 'resources: []\n');
    await w.waitForClusters([]);
  } finally {
    await w.stop();
  }
});

test('a config directory that became empty is refused and the last good config keeps serving', async () => {
  const w = await startWatched(
    (dir) => {
      const conf = path.join(dir, 'conf.d');
      fs.mkdirSync(conf);
      fs.writeFileSync(path.join(conf, 'a.yaml'), clustersConfig('a', 'b'));
      return conf;
    },
    ['a', 'b'],
  );
  try {
    const since = w.log.length;
    fs.renameSync(path.join(w.configPath, 'a.yaml'), path.join(w.configPath, 'a.yaml.disabled'));
    const rejected = await w.waitForLog('configuration rejected; still serving the last good configuration', since);
    assert.match(problemsOf(rejected), /conf\.d: the directory has no config files \(\*\.yaml, \*\.yml, \*\.json\); to serve nothing, put a file with `resources: \[\]` in it/);
    assert.deepEqual(w.clientClusters(), ['a', 'b']);
    assert.equal(await w.metric('xds_config_refusals_total', { reason: 'no_config_files' }), 1);
  } finally {
    await w.stop();
  }
});

test('the server refuses to start on an empty config file or an empty config directory, saying how to serve nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-empty-'));
  try {
    const empty = path.join(dir, 'empty.yaml');
    fs.writeFileSync(empty, '# nothing yet\n');
    await assert.rejects(createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, configPath: empty }), (err: unknown) => {
      assert.ok(err instanceof ConfigInvalidError);
      assert.match(err.message, /empty\.yaml: the file has no document .*write `resources: \[\]`/);
      return true;
    });
    const conf = path.join(dir, 'conf.d');
    fs.mkdirSync(conf);
    await assert.rejects(createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, configPath: conf }), (err: unknown) => {
      assert.ok(err instanceof ConfigInvalidError);
      assert.match(err.message, /conf\.d: the directory has no config files/);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a FIFO at the config path is refused at once, however often, and the next regular file is applied', async () => {
  const w = await startWatched(
    (dir) => {
      fs.writeFileSync(path.join(dir, 'config.yaml'), clustersConfig('a'));
      return path.join(dir, 'config.yaml');
    },
    ['a'],
  );
  const parked: string[] = [];
  try {
    // More FIFOs than libuv has threads (4): before the fix each read parked one for good.
    for (let i = 0; i < 6; i++) {
      const since = w.log.length;
      const fifo = path.join(w.dir, `fifo-${i}`);
      mkfifo(fifo);
      fs.renameSync(fifo, w.configPath);
      const rejected = await w.waitForLog('configuration rejected; still serving the last good configuration', since, 15_000).catch(() => undefined);
      if (rejected) assert.match(problemsOf(rejected), /config\.yaml: not a regular file but a FIFO \(named pipe\); point --config at a regular file or a directory of them/);
      // Keep each FIFO reachable so the cleanup can release a reader parked on it.
      const kept = path.join(w.dir, `parked-${i}`);
      fs.renameSync(w.configPath, kept);
      parked.push(kept);
      assert.ok(rejected, `FIFO ${i + 1} was not refused`);
    }
    assert.deepEqual(w.clientClusters(), ['a']);
    fs.writeFileSync(w.configPath, clustersConfig('a', 'b'));
    await w.waitForClusters(['a', 'b']);
    assert.ok((await w.metric('xds_config_refusals_total', { reason: 'not_regular_file' })) >= 6);
  } finally {
    // Before the fix, reads stay blocked in open(); a writer releases them so the process can exit.
    for (const fifo of parked) {
      try {
        fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        /* ENXIO: no reader is parked on it, as it should be */
      }
    }
    await w.stop();
  }
});

test('the server refuses to start on a FIFO config path instead of hanging', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-fifo-'));
  const fifo = path.join(dir, 'config.yaml');
  mkfifo(fifo);
  try {
    const started = createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, configPath: fifo });
    const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5_000).unref());
    const outcome = await Promise.race([
      started.then(
        () => 'started',
        (err: unknown) => err,
      ),
      timeout,
    ]);
    assert.ok(outcome instanceof ConfigInvalidError, `expected a refusal, got ${String(outcome)}`);
    assert.match(outcome.message, /config\.yaml: not a regular file but a FIFO/);
  } finally {
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      /* no parked reader */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a config over --max-config-bytes is refused before it is parsed, naming the limit and how to raise it; the last good config keeps serving', async () => {
  const MAX_BYTES = 4096;
  const w = await startWatched(
    (dir) => {
      fs.writeFileSync(path.join(dir, 'config.yaml'), clustersConfig('a'));
      return path.join(dir, 'config.yaml');
    },
    ['a'],
    { maxConfigBytes: MAX_BYTES },
  );
  try {
    const since = w.log.length;
    const big = clustersConfig(...Array.from({ length: 40 }, (_, i) => `c${i}`));
    assert.ok(Buffer.byteLength(big) > MAX_BYTES);
    fs.writeFileSync(w.configPath, big);
    const rejected = await w.waitForLog('configuration rejected; still serving the last good configuration', since);
    assert.match(
      problemsOf(rejected),
      new RegExp(
        `config\\.yaml: the file is ${Buffer.byteLength(big)} bytes \\(0\\.0 MiB\\), over the --max-config-bytes limit of 4096 bytes \\(0\\.0 MiB\\); raise --max-config-bytes \\(maxConfigBytes\\)`,
      ),
    );
    assert.deepEqual(w.clientClusters(), ['a']);
    assert.equal(await w.metric('xds_config_refusals_total', { reason: 'max_config_bytes' }), 1);
    fs.writeFileSync(w.configPath, clustersConfig('a', 'b'));
    await w.waitForClusters(['a', 'b']);
  } finally {
    await w.stop();
  }
});

test('a config directory is limited as a whole by --max-config-bytes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-dirmax-'));
  try {
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, `c${i}.yaml`), clustersConfig(`c${i}`));
    const each = Buffer.byteLength(clustersConfig('c0'));
    await assert.rejects(createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, configPath: dir, maxConfigBytes: each * 3 }), (err: unknown) => {
      assert.ok(err instanceof ConfigInvalidError);
      assert.match(err.message, /fanout-dirmax-\w+: the 5 config files hold \d+ bytes \(0\.0 MiB\), over the --max-config-bytes limit of \d+ bytes/);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a config that needs more than the encode worker heap is refused with the limit named, and the server keeps serving', async () => {
  // Enough heap for a worker to start and serve small configs, far too little for this YAML's syntax tree.
  const WORKER_HEAP_MB = 48;
  const w = await startWatched(
    (dir) => {
      fs.writeFileSync(path.join(dir, 'config.yaml'), clustersConfig('a'));
      return path.join(dir, 'config.yaml');
    },
    ['a'],
    { workerHeapMb: WORKER_HEAP_MB },
  );
  try {
    const since = w.log.length;
    const lines = ['resources:'];
    for (let i = 0; i < 20_000; i++) {
      lines.push(
        `  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n    name: big-${i}\n    type: STATIC\n    connect_timeout: 1s\n    metadata: { filter_metadata: { m: { k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v } } }`,
      );
    }
    fs.writeFileSync(w.configPath, `${lines.join('\n')}\n`);
    const rejected = await w.waitForLog('configuration rejected; still serving the last good configuration', since, 60_000);
    assert.match(problemsOf(rejected), /config\.yaml: parsing and encoding needed more than the encode worker heap limit of 48 MiB; raise --worker-heap-mb/);
    assert.deepEqual(w.clientClusters(), ['a']);
    assert.equal(await w.metric('xds_config_refusals_total', { reason: 'worker_heap_mb' }), 1);
    // A fresh worker took the dead one's place.
    fs.writeFileSync(w.configPath, clustersConfig('a', 'b'));
    await w.waitForClusters(['a', 'b'], 30_000);
  } finally {
    await w.stop();
  }
});

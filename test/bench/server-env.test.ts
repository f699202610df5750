/**
 * `--server-env KEY=VALUE`: variables reach our server's process (e.g. an
 * allocator's LD_PRELOAD), and nothing else's.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseBenchOptions } from '../../bench/options';
import { Mesh } from '../../bench/scenarios';
import { ServerProcess } from '../../bench/server-process';
import { withTempDir } from '../helpers/run-bench';

/** The environment of a live process, from /proc (Linux). */
function environOf(pid: number): Map<string, string> {
  const entries = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

describe('bench --server-env', () => {
  it('collects KEY=VALUE pairs; a value may hold "="', () => {
    const opts = parseBenchOptions(['--server-env', 'MALLOC_ARENA_MAX=2', '--server-env=FANOUT_TEST=a=b']);
    assert.deepEqual(opts.serverEnv, { MALLOC_ARENA_MAX: '2', FANOUT_TEST: 'a=b' });
    assert.deepEqual(parseBenchOptions([]).serverEnv, {});
  });

  it('rejects an entry without a variable name, naming it', () => {
    assert.throws(() => parseBenchOptions(['--server-env', '=1']), /--server-env must be KEY=VALUE.*"=1"/);
    assert.throws(() => parseBenchOptions(['--server-env', 'NOVALUE']), /"NOVALUE"/);
    assert.throws(() => parseBenchOptions(['--server-env', '1X=2']), /"1X=2"/);
  });

  it("adds the variables to our server's inherited environment", async () => {
    await withTempDir('bench-server-env-', async (dir) => {
      const config = path.join(dir, 'mesh.json');
      fs.writeFileSync(config, new Mesh({ clusters: 2, endpoints: 1, listeners: 1, routes: 1 }).toConfigText());
      const server = await ServerProcess.start(config, { logLevel: 'info', env: { FANOUT_BENCH_ENV_TEST: 'on' }, extraArgs: ['--drain-timeout-ms=100', '--workers=1'] });
      try {
        const env = environOf(server.pid);
        assert.equal(env.get('FANOUT_BENCH_ENV_TEST'), 'on');
        assert.equal(env.get('PATH'), process.env.PATH, 'the rest of the environment is inherited');
      } finally {
        await server.stop();
      }
    });
  });
});

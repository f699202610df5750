/**
 * `--server-node-arg`: node flags reach our server's process (here a CPU
 * profile, written when the server exits after its drain).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseBenchOptions } from '../../bench/options';
import { Mesh } from '../../bench/scenarios';
import { ServerProcess } from '../../bench/server-process';
import { withTempDir } from '../helpers/run-bench';

describe('bench --server-node-arg', () => {
  it('collects every occurrence, in order, apart from --server-arg', () => {
    const opts = parseBenchOptions(['--server-node-arg=--cpu-prof', '--server-node-arg=--cpu-prof-dir=/tmp/x', '--server-arg=--workers=1']);
    assert.deepEqual(opts.serverNodeArgs, ['--cpu-prof', '--cpu-prof-dir=/tmp/x']);
    assert.deepEqual(opts.serverArgs, ['--workers=1']);
  });

  it('collects --floor-node-arg apart from --server-node-arg', () => {
    const opts = parseBenchOptions(['--floor-node-arg=--cpu-prof', '--server-node-arg=--max-old-space-size=512']);
    assert.deepEqual(opts.floorNodeArgs, ['--cpu-prof']);
    assert.deepEqual(opts.serverNodeArgs, ['--max-old-space-size=512']);
  });

  it('starts our server with the node flags before its script', async () => {
    await withTempDir('bench-node-args-', async (dir) => {
      const config = path.join(dir, 'mesh.json');
      fs.writeFileSync(config, new Mesh({ clusters: 2, endpoints: 1, listeners: 1, routes: 1 }).toConfigText());
      const profiles = path.join(dir, 'prof');
      const server = await ServerProcess.start(config, {
        logLevel: 'info',
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profiles}`],
        extraArgs: ['--drain-timeout-ms=100', '--workers=1'],
      });
      await server.stop();
      const written = fs.existsSync(profiles) ? fs.readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile')) : [];
      assert.ok(written.length > 0, `no .cpuprofile in ${profiles}: the node flags did not reach the server`);
    });
  });
});

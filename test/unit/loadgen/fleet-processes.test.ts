/**
 * The loadgen fleet spread over child processes (`processes` > 1) against
 * a small ADS server over real gRPC on loopback: every node id connects
 * once, each process runs its share (node i in process i mod N), and the
 * workers' reports from both processes merge into one picture (sync
 * counts, stamp receipts, counters); stopping ends the child processes.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINT } from '../../../src/xds/type-urls';
import { Fleet, FLEET_DEFAULTS, formatStamp, loadgenProcessesFor, nowMicros } from '../../../loadgen/index';
import { fleetLayout } from '../../../loadgen/fleet';
import { FakeAdsServer, loadAssignmentBytes, startFakeMesh } from './fake-ads-server';

const WAIT_MS = 20_000;
const NODES = 5;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('fleet layout', () => {
  it('keeps node → worker as before for one process and splits nodes by i mod N over processes', () => {
    assert.deepEqual(fleetLayout({ nodes: 100, workers: 3, processes: 1 }), { processes: 1, workerCount: 3 });
    // Worker w lives in process w mod 2: a worker count that is a multiple of 2 keeps node i in process i mod 2.
    assert.deepEqual(fleetLayout({ nodes: 100, workers: 3, processes: 2 }), { processes: 2, workerCount: 4 });
    assert.deepEqual(fleetLayout({ nodes: 100, workers: 1, processes: 2 }), { processes: 2, workerCount: 2 });
    assert.deepEqual(fleetLayout({ nodes: 1, workers: 4, processes: 3 }), { processes: 1, workerCount: 1 });
  });

  it('auto gives each process at most 15,000 nodes', () => {
    assert.equal(loadgenProcessesFor('auto', 1000), 1);
    assert.equal(loadgenProcessesFor('auto', 15_000), 1);
    assert.equal(loadgenProcessesFor('auto', 15_001), 2);
    assert.equal(loadgenProcessesFor('auto', 30_000), 2);
    assert.equal(loadgenProcessesFor('auto', 30_001), 3);
    assert.equal(loadgenProcessesFor(4, 10), 4);
  });
});

describe('loadgen fleet over two processes', () => {
  let server: FakeAdsServer;
  let fleet: Fleet | undefined;
  before(async () => {
    server = await startFakeMesh();
  });
  after(async () => {
    await fleet?.stop();
    await server.stop();
  });

  it('runs each node once, in process i mod 2, and merges both processes into one snapshot', async () => {
    fleet = Fleet.start({ ...FLEET_DEFAULTS, target: `127.0.0.1:${server.port}`, nodes: NODES, variant: 'delta', workers: 2, processes: 2 });
    assert.equal(await fleet.waitFor(() => fleet!.snapshot().nodes.everSynced === NODES, WAIT_MS), true, 'every node synced');
    const snap = fleet.snapshot();
    assert.equal(snap.workers, 2);
    assert.equal(snap.processes.length, 2);
    assert.deepEqual(
      snap.processes.map((p) => [p.nodes, p.everSynced]),
      [
        [3, 3],
        [2, 2],
      ],
    );
    const pids = snap.processes.map((p) => p.pid);
    assert.equal(new Set(pids).size, 2);
    assert.ok(!pids.includes(process.pid), 'the nodes run in child processes');
    assert.deepEqual(fleet.childPids, pids);
    const ids = server.requests.filter((r) => r.req.node).map((r) => r.req.node?.id);
    assert.deepEqual([...ids].sort(), ['node-0', 'node-1', 'node-2', 'node-3', 'node-4'], 'each node id connected once');
    for (let i = 0; i < NODES; i++) assert.ok(fleet.syncedAt[i]! > 0, `node ${i} sync time merged`);
    assert.ok(snap.counters.acks >= NODES * 4, 'counters from both processes add up');
  });

  it('merges one round of stamp receipts from both processes', async () => {
    server.set(ENDPOINT, 'c0', loadAssignmentBytes('c0', formatStamp(1, nowMicros())));
    server.push();
    assert.equal(await fleet!.waitFor(() => (fleet!.round(1)?.received ?? 0) === NODES, WAIT_MS), true);
    for (const at of fleet!.round(1)!.at) assert.ok(Number.isFinite(at));
  });

  it('stops: final reports in, child processes gone', async () => {
    const pids = fleet!.childPids;
    const final = await fleet!.stop();
    assert.equal(final.nodes.everSynced, NODES);
    // stop() resolves once the children have exited: no grace period (they left 6–21 ms after the final reports with
    // two busy cores, so a sleep here only hid whether stop() waits).
    for (const pid of pids) assert.equal(alive(pid), false, `loadgen process ${pid} exited`);
  });
});

/**
 * @module bench/micro/run
 * `npm run bench:micro`: the costs that bound fan-out, measured apart.
 *  - encode: resources validated + encoded + hashed per second by the pool at 1, 2, 4 workers;
 *  - assembly: building one shared SotW/delta body for 1000 resources, then
 *    the per-stream nonce copy; versus a per-node delta body;
 *  - hashing: content-version hashing of typical resource bytes;
 *  - histogram: ns per push-latency observe (histogram-observe.ts).
 */
import * as os from 'node:os';
import { EncodePool } from '../../src/encode';
import type { EncodedResource } from '../../src/encode';
import { buildDeltaBody, buildSotwBody, withNonce } from '../../src/transport/response-builder';
import { contentVersion } from '../../src/encode/content-hash';
import { CLUSTER } from '../../src/xds/type-urls';
import type { RawResource } from '../../src/source';
import { clusters, loadAssignments } from './mesh';
import { histogramObserveBench } from './histogram-observe';

const ENCODE_RESOURCES = 6000;

function raw(json: ReturnType<typeof clusters>): RawResource[] {
  return json.map((r, i) => {
    const body: Record<string, unknown> = { ...r };
    delete body['@type'];
    return { typeUrl: String(r['@type']), body, file: 'bench', location: `resources[${i}]`, group: '' };
  });
}

/** Run `fn` repeatedly for about `ms` and return operations per second. */
function rate(fn: () => void, ms = 500): number {
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    fn();
    ops++;
  }
  return ops / ((performance.now() - start) / 1000);
}

async function encodeBench(): Promise<string[]> {
  const rows: string[] = [];
  const input = raw([...clusters(1000), ...loadAssignments(5000, 5)]).slice(0, ENCODE_RESOURCES);
  for (const workers of [1, 2, 4]) {
    const pool = new EncodePool(workers);
    await pool.encodeResources(input.slice(0, 200)); // warm: proto root loaded in every worker
    const start = performance.now();
    const out = await pool.encodeResources(input);
    const seconds = (performance.now() - start) / 1000;
    if (out.problems.length > 0) throw new Error(`encode failed: ${out.problems[0]?.message}`);
    rows.push(
      `encode      ${workers} worker(s)   ${Math.round(out.resources.length / seconds)
        .toLocaleString('en-US')
        .padStart(9)} resources/s   (${out.resources.length} resources in ${(seconds * 1000).toFixed(0)} ms)`,
    );
    await pool.close();
  }
  return rows;
}

async function assemblyBench(): Promise<string[]> {
  const pool = new EncodePool(1);
  const { resources } = await pool.encodeResources(raw(clusters(1000)));
  await pool.close();
  const one: EncodedResource[] = resources.slice(0, 1);
  const sotwPlan = { typeUrl: CLUSTER, versionInfo: 'v1', resources, nonce: 'n', shareKey: undefined };
  const deltaPlan = { typeUrl: CLUSTER, systemVersionInfo: '1', resources, removed: [], nonce: 'n' };
  const body = buildSotwBody(sotwPlan);
  const smallDelta = { ...deltaPlan, resources: one };
  const smallBody = buildDeltaBody(smallDelta);
  return [
    `assembly    SotW body, 1000 clusters (${(body.length / 1024).toFixed(0)} KiB)   ${rate(() => buildSotwBody(sotwPlan))
      .toFixed(0)
      .padStart(7)} builds/s`,
    `assembly    delta body, 1000 clusters             ${rate(() => buildDeltaBody(deltaPlan))
      .toFixed(0)
      .padStart(7)} builds/s`,
    `assembly    shared body + per-stream nonce copy   ${rate(() => withNonce(body, 'abc123'))
      .toFixed(0)
      .padStart(7)} streams/s (1000-cluster body)`,
    `assembly    delta, 1 changed resource, per node    ${rate(() => withNonce(buildDeltaBody(smallDelta), 'abc123'))
      .toFixed(0)
      .padStart(7)} streams/s (built per stream)`,
    `assembly    delta, 1 changed resource, shared      ${rate(() => withNonce(smallBody, 'abc123'))
      .toFixed(0)
      .padStart(7)} streams/s (built once)`,
  ];
}

async function hashBench(): Promise<string[]> {
  const pool = new EncodePool(1);
  const { resources } = await pool.encodeResources(raw(loadAssignments(1, 5)));
  await pool.close();
  const bytes = resources[0]?.sotwEntry ?? Buffer.alloc(200);
  const perSecond = rate(() => contentVersion(bytes));
  return [`hashing     sha256 → version, ${bytes.length}-byte CLA   ${perSecond.toFixed(0).padStart(9)} hashes/s (${((perSecond * bytes.length) / 1e6).toFixed(0)} MB/s)`];
}

async function main(): Promise<void> {
  console.log(`setup: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
  for (const row of [...(await encodeBench()), ...(await assemblyBench()), ...(await hashBench()), ...histogramObserveBench()]) console.log(row);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

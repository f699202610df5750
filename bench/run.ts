/**
 * @module bench/run
 * `npm run bench -- --nodes 5000`: the same scenario over SotW and then over
 * delta, each against a fresh server (ours as a child process, or
 * `--target`), printed side by side with ratios and the setup, and saved as
 * JSON and a self-contained HTML report in bench/results/.
 * `--threshold` expressions turn it into a gate (exit 1 when missed).
 * `--with-floor` also runs the floor server (bench/floor) after each variant,
 * on the identical scenario, and reports our figures as ratios to it.
 * `--nodes 1000,2500,5000` runs all that once per fleet size and ends with
 * the growth table; one JSON and HTML then hold every size.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../loadgen/index';
import { compareMain } from './compare';
import { formatGrowth, growthPoints } from './growth';
import { renderHtml, renderSweepHtml } from './html-report';
import { USAGE, parseBenchOptions } from './options';
import type { BenchOptions } from './options';
import { formatReport } from './report';
import type { BenchResult, BenchSetup, FloorRatios, SweepResult, VariantResult } from './result';
import { provenance } from './provenance';
import { Mesh } from './scenarios';
import { checkThresholds, parseThreshold, ratiosToFloor } from './thresholds';
import type { Threshold } from './thresholds';
import { runVariant } from './variant-run';

function packageVersion(name: string): string {
  try {
    const file = name === 'fanout-xds' ? path.join(__dirname, '..', '..', 'package.json') : require.resolve(`${name}/package.json`);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** `; environment K=V …` for the setup's server line: a run on another allocator must say so in its report. */
function serverEnvNote(env: Readonly<Record<string, string>>): string {
  const entries = Object.entries(env);
  return entries.length ? `; environment ${entries.map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
}

function setupOf(opts: BenchOptions): BenchSetup {
  const mesh = new Mesh(opts.mesh);
  const ownServer = !opts.target;
  return {
    startedAt: new Date().toISOString(),
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? '?',
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    versions: { 'fanout-xds': packageVersion('fanout-xds'), '@grpc/grpc-js': packageVersion('@grpc/grpc-js') },
    nodes: opts.nodes,
    mesh: { ...opts.mesh, resources: mesh.size, configBytes: Buffer.byteLength(mesh.toConfigText()) },
    scenario: opts.scenario,
    source: opts.source,
    replicas: opts.replicas,
    churn: opts.churn,
    rounds: opts.rounds,
    rate: opts.rate,
    connectRate: opts.connectRate,
    ads: opts.ads,
    nackRate: opts.nackRate,
    slowFraction: opts.slowFraction,
    server: ownServer
      ? `ours (${opts.replicas > 1 ? `${opts.replicas} replica child processes` : 'child process'} on ${opts.source === 'etcd' ? 'etcd' : 'a config file'}, ${['--log-level', opts.serverLogLevel, ...opts.serverArgs].join(' ')}${serverEnvNote(opts.serverEnv)})`
      : `external ${opts.target}`,
    ...provenance(process.argv.slice(2)),
    commitTime:
      opts.source === 'etcd'
        ? "when the apply's etcd transaction returned (the change is in etcd; every replica's watch sees it from then on)"
        : ownServer
          ? `when ${opts.replicas > 1 ? 'the first replica' : 'the server'} logged "configuration applied" (after its ~200 ms file debounce, parse and encode); file write time where no such line came`
          : 'config file write time (external server: includes its reload delay)',
    ...(opts.withFloor
      ? {
          floor:
            'bench/floor child process: grpc-js, same encoded bytes; first request per type gets the pre-built full response, ' +
            'each change one pre-built message per type written to every stream (no backpressure, no ACK gating); commit = its "configuration applied"',
        }
      : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--compare')) return compareMain(argv, path.join(__dirname, '..', '..', 'bench', 'results'));
  let opts: BenchOptions;
  let thresholds;
  try {
    opts = parseBenchOptions(argv);
    thresholds = opts.thresholds.map(parseThreshold);
    const needsFloor = thresholds.find((t) => t.perFloor);
    if (needsFloor && !opts.withFloor) throw new UsageError(`--threshold ${needsFloor.expression} needs --with-floor`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message ? err.message + '\n' : ''}${USAGE}\n`);
    return err.message ? 2 : 0;
  }
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: stopping the server and the fleet\n');
    process.exit(130); // the exit hook in server-process kills the child
  });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-bench-'));
  // Also on Ctrl-C (process.exit runs 'exit' listeners).
  process.on('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));
  fs.mkdirSync(opts.outDir, { recursive: true });
  if (opts.fleetSizes.length > 1) return sweep(opts, thresholds, workDir);

  const result = await runSize(opts, thresholds, workDir);
  process.stdout.write('\n' + formatReport(result));
  const base = path.join(opts.outDir, `bench-${stampOf(result)}-${opts.churn}-${opts.nodes}`);
  fs.writeFileSync(`${base}.json`, JSON.stringify(result, null, 2));
  fs.writeFileSync(`${base}.html`, renderHtml(result));
  process.stdout.write(`\nresults: ${base}.json\n         ${base}.html\n`);
  return failedRun(result) ? 1 : 0;
}

/** Every variant (and its floor) at `opts.nodes`, each on fresh servers, with thresholds checked. */
async function runSize(opts: BenchOptions, thresholds: readonly Threshold[], workDir: string): Promise<BenchResult> {
  const setup = setupOf(opts);
  const variants: Partial<Record<'sotw' | 'delta', VariantResult>> = {};
  const floor: Partial<Record<'sotw' | 'delta', VariantResult>> = {};
  const ratios: Partial<Record<'sotw' | 'delta', FloorRatios>> = {};
  // Server logs sit beside the JSON result and share its name's start: bench-<start>-<churn>-<nodes>-server-<variant>-<i>.log.
  const logBase = path.join(opts.outDir, `bench-${setup.startedAt.replace(/[:.]/g, '-')}-${opts.churn}-${opts.nodes}`);
  for (const variant of opts.variants) {
    const ours = (variants[variant] = await runVariant(variant, opts, workDir, 'ours', logBase));
    if (opts.withFloor) ratios[variant] = ratiosToFloor(ours, (floor[variant] = await runVariant(variant, opts, workDir, 'floor', logBase)));
  }
  const partial = opts.withFloor ? { setup, variants, floor, ratiosToFloor: ratios } : { setup, variants };
  return { ...partial, thresholds: checkThresholds(partial, thresholds) };
}

/** A failed variant of ours or a missed threshold; a failed floor run is reported but does not fail the bench: it measures the machine, not us. */
function failedRun(result: BenchResult): boolean {
  return Object.values(result.variants).some((v) => !v.ok) || result.thresholds.some((t) => !t.pass);
}

function stampOf(result: BenchResult): string {
  return result.setup.startedAt.replace(/[:.]/g, '-');
}

/**
 * `--nodes N1,N2,...`: the whole bench once per size, smallest first, each
 * size's table printed as it finishes, then the growth table; one JSON
 * (every size's full result and the growth points) and one HTML page.
 */
async function sweep(opts: BenchOptions, thresholds: readonly Threshold[], workDir: string): Promise<number> {
  const runs: BenchResult[] = [];
  for (const [i, nodes] of opts.fleetSizes.entries()) {
    const result = await runSize({ ...opts, nodes }, thresholds, workDir);
    runs.push(result);
    process.stdout.write(`\n=== ${nodes} nodes (fleet size ${i + 1} of ${opts.fleetSizes.length}) ===\n` + formatReport(result));
  }
  const sweepResult: SweepResult = { fleetSizes: opts.fleetSizes, growth: growthPoints(runs), runs };
  process.stdout.write('\n' + formatGrowth(sweepResult));
  const base = path.join(opts.outDir, `bench-${stampOf(runs[0] as BenchResult)}-${opts.churn}-nodes-${opts.fleetSizes.join('-')}`);
  fs.writeFileSync(`${base}.json`, JSON.stringify(sweepResult, null, 2));
  fs.writeFileSync(`${base}.html`, renderSweepHtml(sweepResult));
  process.stdout.write(`\nresults: ${base}.json\n         ${base}.html\n`);
  return runs.some(failedRun) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

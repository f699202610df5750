/**
 * @module bench/config-size
 * `npm run build && node build/bench/config-size.js [--format yaml|json] [--mib 8,16,32,63,65] [-- CLI flags]`
 *
 * What the largest config costs to load, as the CLI loads it. For each
 * format and target size it writes a mesh (EDS clusters, each with a
 * ClusterLoadAssignment of 10 endpoints, in the block style people write)
 * of about that many MiB, starts `build/src/main.js --config FILE` with the
 * default limits (plus any flags after `--`), and records: the outcome (ready,
 * or the refusal it logged), seconds from spawn to ready, and the process's
 * peak RSS (VmHWM, which counts the event loop and the encode workers). A
 * benchmark, not a test: it prints a Markdown table for the README.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

type Format = 'yaml' | 'json';

const MIB = 1024 * 1024;
const ENDPOINTS_PER_CLUSTER = 10;
const RUN_TIMEOUT_MS = 15 * 60_000;
const POLL_MS = 50;

/** One cluster and its endpoints, as text in `format`. */
function clusterText(format: Format, i: number): string {
  const name = `cluster-${i}`;
  const ip = (j: number): string => `10.${(i >> 8) & 255}.${i & 255}.${j + 1}`;
  if (format === 'yaml') {
    let out =
      `  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n    name: ${name}\n    type: EDS\n    connect_timeout: 1s\n` +
      `    eds_cluster_config:\n      eds_config:\n        ads: {}\n` +
      `  - "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment\n    cluster_name: ${name}\n    endpoints:\n      - lb_endpoints:\n`;
    for (let j = 0; j < ENDPOINTS_PER_CLUSTER; j++) {
      out += `          - endpoint:\n              address:\n                socket_address:\n                  address: ${ip(j)}\n                  port_value: 8080\n`;
    }
    return out;
  }
  const eps = Array.from({ length: ENDPOINTS_PER_CLUSTER }, (_, j) => ({ endpoint: { address: { socket_address: { address: ip(j), port_value: 8080 } } } }));
  const cluster = { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {} } } };
  const cla = { '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', cluster_name: name, endpoints: [{ lb_endpoints: eps }] };
  return `${JSON.stringify(cluster)},\n${JSON.stringify(cla)}`;
}

/** Write a config of about `bytes` bytes; returns the number of clusters. */
function writeMesh(file: string, format: Format, bytes: number): number {
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let clusters = 0;
  const write = (s: string): void => {
    written += fs.writeSync(fd, s);
  };
  write(format === 'yaml' ? 'resources:\n' : '{"resources": [\n');
  let chunk = '';
  while (written + chunk.length < bytes - 64) {
    chunk += (format === 'json' && clusters > 0 ? ',\n' : '') + clusterText(format, clusters++);
    if (chunk.length > MIB) {
      write(chunk);
      chunk = '';
    }
  }
  write(chunk + (format === 'json' ? '\n]}\n' : ''));
  fs.closeSync(fd);
  return clusters;
}

interface Run {
  readonly outcome: string;
  readonly seconds: number;
  readonly peakRssMiB: number;
}

function peakRssKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Start the CLI on `file` and wait for ready or for the process to end. */
function runCli(file: string, flags: readonly string[]): Promise<Run> {
  const main = path.join(__dirname, '..', 'src', 'main.js');
  const started = performance.now();
  const child = spawn(process.execPath, [main, '--config', file, '--port', '0', '--no-admin', '--workers', '1', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let peak = 0;
  let out = '';
  let err = '';
  return new Promise((resolve) => {
    const poll = setInterval(() => (peak = Math.max(peak, peakRssKiB(child.pid ?? 0))), POLL_MS);
    const finish = (outcome: string): void => {
      clearInterval(poll);
      clearTimeout(timer);
      peak = Math.max(peak, peakRssKiB(child.pid ?? 0));
      child.kill('SIGKILL');
      resolve({ outcome, seconds: (performance.now() - started) / 1000, peakRssMiB: Math.round(peak / 1024) });
    };
    const timer = setTimeout(() => finish('timed out'), RUN_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('"msg":"ready"')) finish('ready');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code) => {
      if (out.includes('"msg":"ready"')) return;
      const refusal = /(over the --max-config-bytes limit|needed more than the encode worker heap limit[^;]*|JavaScript heap out of memory)/.exec(err + out);
      finish(refusal ? `refused: ${refusal[1]}` : `exit ${code}: ${err.split('\n').slice(0, 2).join(' ')}`);
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dash = args.indexOf('--');
  const flags = dash === -1 ? [] : args.slice(dash + 1);
  const own = dash === -1 ? args : args.slice(0, dash);
  const opt = (name: string): string | undefined => {
    const i = own.indexOf(`--${name}`);
    return i === -1 ? undefined : own[i + 1];
  };
  const formats: Format[] = opt('format') ? [opt('format') as Format] : ['json', 'yaml'];
  const sizes = (opt('mib') ?? '8,16,32,63,65').split(',').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-config-size-'));
  console.log(
    `setup: node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB RAM, load average ${os.loadavg()[0]?.toFixed(1)}; --workers 1 ${flags.join(' ')}`,
  );
  console.log('| format | file | clusters (+ CLAs of 10 endpoints) | outcome | time to ready | peak RSS |');
  console.log('|---|---|---|---|---|---|');
  try {
    for (const format of formats) {
      for (const mib of sizes) {
        const file = path.join(dir, `mesh.${format}`);
        const clusters = writeMesh(file, format, mib * MIB);
        const size = fs.statSync(file).size;
        const run = await runCli(file, flags);
        console.log(`| ${format} | ${(size / MIB).toFixed(1)} MiB | ${clusters} | ${run.outcome} | ${run.seconds.toFixed(1)} s | ${run.peakRssMiB} MiB |`);
        fs.rmSync(file);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();

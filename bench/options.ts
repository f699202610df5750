/**
 * @module bench/options
 * `npm run bench` flags.
 */
import * as path from 'node:path';
import { Args, UsageError, parseProcessesFlag } from '../loadgen/index';
import type { Variant } from '../loadgen/index';
import { CHURNS, SCENARIOS } from './scenarios';
import type { Churn, MeshSpec, Scenario } from './scenarios';
import { SOURCE_KINDS } from './config-sink';
import type { SourceKind } from './config-sink';

export const USAGE = `usage: npm run bench -- [options]
 fleet
  --nodes N               simulated Envoys (default 1000)
  --nodes N1,N2,...       a fleet-size sweep: the whole bench once per size (fresh servers each, the other flags
                          the same, --with-floor and --threshold for every size), then a growth table (server CPU
                          per round, update p99, sync after the last connect, initial-sync CPU, RSS per node over
                          idle, ours/floor) and one JSON and HTML with every size and growth charts
  --variants sotw,delta   which variants to run, in order (default sotw,delta)
  --per-type              one stream per type instead of ADS
  --connect-rate R        connections per second (default 1000)
  --nack-rate F           fraction of responses NACKed (default 0)
  --slow-fraction F       fraction of nodes that stop reading after their first full config
  --workers W             loadgen worker threads over all its processes (default: one per core)
  --loadgen-processes N|auto  spread the simulated nodes over N loadgen processes, node i in process
                          i mod N (default 1). Each OS process holds one file descriptor per node and is
                          bound by the open-file limit (ulimit -Hn); auto: one process per 15,000 nodes
 mesh
  --clusters N            EDS clusters (default 1000)
  --endpoints N           endpoints per cluster (default 5)
  --listeners N           listeners (default 10)
  --routes N              route configurations (default 10)
 scenario
  --scenario updates|restart|failover       updates: the rounds only (default); restart: after the rounds, kill
                          the server (SIGKILL), restart it on the same port and config, and report what each
                          reconnecting node is sent (ours only, not with --target); failover (needs --replicas 2
                          or more): after the rounds, kill one replica (SIGKILL); its nodes reconnect to the others
                          with the versions they hold; report bytes per moved node and the time until all are back
  --churn endpoint|cluster|listener|mixed   what each round changes (default endpoint)
  --rounds N              update rounds (default 5)
  --rate R                changes per second; default 0 = next round after the previous converged
  --sync-timeout S        initial sync limit in seconds (default 300)
  --sync-stall-timeout S  end the initial sync early when, with every node started, no node synced and no
                          byte arrived for S seconds (default 30); raise it on a loaded machine or a large
                          fleet, where the first full config can take longer than that
  --round-timeout S       per-round limit in seconds (default 60)
  --settle-ms MS          quiet time after each round before the next (default 1000)
 server
  --source file|etcd      file: the servers read a config file (default); etcd: the bench starts a real etcd
                          (Debian's etcd-server, ETCD_BIN overrides), writes the mesh and every change with the
                          project's apply (one guarded transaction each), and the servers read it with
                          --etcd-endpoints/--etcd-prefix; latency is measured from the etcd commit
  --replicas N            server processes on the same source (default 1); node i connects to replica i mod N
                          and moves to the next replica when its stream ends
  --target host:port      run against an external server instead of starting ours
  --config-file PATH      with --target: write the mesh and each change to PATH (the server must watch it);
                          without it only the initial sync is measured
  --server-pid PID        with --target: measure this process's CPU and memory
  --server-log-level L    our server's --log-level (default info; the bench reads "configuration applied")
  --loopback-addresses N|auto  loopback addresses the nodes connect to (default auto). One destination
                          address and port allows about as many connections as net.ipv4.ip_local_port_range has
                          ports (28,232 by default); auto uses 127.0.0.1 alone up to 80% of that per server port
                          and beyond it spreads the nodes over 127.0.0.1, 127.0.0.2, … with the servers listening on
                          0.0.0.0 (every IPv4 address of the machine, for the run)
  --server-arg ARG        extra argument for our server (repeatable), e.g. --server-arg=--workers=1
  --server-node-arg ARG   extra node flag for our server's process (repeatable), e.g.
                          --server-node-arg=--cpu-prof --server-node-arg=--cpu-prof-dir=/tmp/prof
                          (the profile is written when the server exits: add --server-arg=--drain-timeout-ms=100)
  --server-env KEY=VALUE  environment variable for our server's process (repeatable), e.g. an allocator:
                          --server-env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 (docs/scaling.md)
  --floor-node-arg ARG    extra node flag for the floor server's process (repeatable), e.g.
                          --floor-node-arg=--cpu-prof --floor-node-arg=--cpu-prof-dir=/tmp/prof-floor
  --server-loop-delay     read our server's /metrics every second for the report's event-loop delay line
                          (off by default: each read costs our server CPU that the floor never pays)
  --with-floor            after each variant, run the floor server (bench/floor: grpc-js writing pre-built
                          responses, no backpressure or ACK gating) on the identical scenario and print
                          our figures as ratios to it
 output
  --out DIR               results directory (default bench/results)
  --threshold EXPR        e.g. 'delta.p99<1000' (repeatable); exit 1 when one is missed;
                          'sotw.convergence/floor<=2' compares ours / floor (needs --with-floor)
  --quiet                 no progress line
 compare
  --compare A.json B.json two saved results side by side with ratios B / A (text and HTML in --out); runs nothing`;

/** Everything one bench run needs. */
export interface BenchOptions {
  /** The fleet size of this run (with a sweep: of the size being run). */
  readonly nodes: number;
  /** Every fleet size of `--nodes`, ascending; one entry unless it is a sweep. */
  readonly fleetSizes: readonly number[];
  readonly variants: Variant[];
  readonly ads: boolean;
  readonly connectRate: number;
  readonly nackRate: number;
  readonly slowFraction: number;
  readonly workers: number;
  /** Loadgen OS processes, or auto (resolved per run from its node count). */
  readonly loadgenProcesses: number | 'auto';
  readonly mesh: MeshSpec;
  readonly scenario: Scenario;
  readonly source: SourceKind;
  readonly replicas: number;
  readonly churn: Churn;
  readonly rounds: number;
  readonly rate: number;
  readonly syncTimeoutMs: number;
  /** End the initial sync when, all nodes started, nothing progressed for this long. */
  readonly syncStallMs: number;
  readonly roundTimeoutMs: number;
  readonly settleMs: number;
  /** Loopback destination addresses of the fleet (bench/loopback), or auto from the node count. */
  readonly loopbackAddresses: number | 'auto';
  readonly target: string | undefined;
  readonly configFile: string | undefined;
  readonly serverPid: number | undefined;
  readonly serverLogLevel: string;
  readonly serverArgs: string[];
  /** Node flags for our server's process (before the script). */
  readonly serverNodeArgs: string[];
  /** Environment variables added to our server's process (e.g. LD_PRELOAD of an allocator). */
  readonly serverEnv: Readonly<Record<string, string>>;
  /** Extra node flags for the floor server's process (e.g. --cpu-prof). */
  readonly floorNodeArgs: string[];
  /** Read our server's /metrics every second for its event-loop delay (costs it CPU). */
  readonly serverLoopDelay: boolean;
  /** Also run the floor server on each variant's scenario. */
  readonly withFloor: boolean;
  readonly outDir: string;
  readonly thresholds: string[];
  readonly quiet: boolean;
}

/** 127.0.0.1 … 127.0.0.254. */
const MAX_LOOPBACK_ADDRESSES = 254;

/** Most simulated Envoys one bench run may start. */
const MAX_NODES = 200_000;

/** `--nodes 5000` or `--nodes 1000,2500,5000` (sorted ascending); default one size of 1000. */
function parseFleetSizes(raw: string | undefined): number[] {
  if (raw === undefined) return [1000];
  if (!raw.includes(',')) {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 1 || n > MAX_NODES) throw new UsageError(`--nodes must be a number in [1, ${MAX_NODES}], got ${raw}`);
    return [n];
  }
  const sizes = raw.split(',').map((part) => {
    const n = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_NODES) {
      throw new UsageError(`--nodes: each fleet size must be a whole number in [1, ${MAX_NODES}], got "${part}" in ${raw}`);
    }
    return n;
  });
  const sorted = [...sizes].sort((a, b) => a - b);
  const repeated = sorted.find((n, i) => sorted[i - 1] === n);
  if (repeated !== undefined) throw new UsageError(`--nodes: fleet size ${repeated} is given twice in ${raw}; list each size once`);
  return sorted;
}

/** `--loopback-addresses N|auto`: 1 to 254 addresses of 127.0.0.0/8. */
function parseLoopbackAddresses(raw: string | undefined): number | 'auto' {
  if (raw === undefined || raw === 'auto') return 'auto';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LOOPBACK_ADDRESSES) throw new UsageError(`--loopback-addresses must be auto or a whole number in [1, ${MAX_LOOPBACK_ADDRESSES}], got ${raw}`);
  return n;
}

/** `--server-env KEY=VALUE` (repeatable): variables added to our server's environment. */
function parseServerEnv(raw: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of raw) {
    const eq = entry.indexOf('=');
    const key = entry.slice(0, eq);
    if (eq < 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`--server-env must be KEY=VALUE with KEY a variable name, got "${entry}"`);
    env[key] = entry.slice(eq + 1);
  }
  return env;
}

/** Parse `npm run bench` flags. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const args = new Args(argv, ['per-type', 'ads', 'quiet', 'help', 'with-floor', 'server-loop-delay']);
  if (args.flag('help')) throw new UsageError('');
  const variants = (args.string('variants') ?? 'sotw,delta').split(',').map((v) => v.trim());
  for (const v of variants) if (v !== 'sotw' && v !== 'delta') throw new UsageError(`--variants: unknown variant ${v}`);
  const target = args.string('target');
  if (target !== undefined && !/^[^:]+:\d+$/.test(target)) throw new UsageError('--target must be host:port');
  const configFile = args.string('config-file');
  if (configFile && !target) throw new UsageError('--config-file is for --target; without it the bench writes its own');
  const serverPid = args.string('server-pid');
  args.flag('ads');
  const fleetSizes = parseFleetSizes(args.string('nodes'));
  const options: BenchOptions = {
    nodes: fleetSizes[0] as number,
    fleetSizes,
    variants: variants as Variant[],
    ads: !args.flag('per-type'),
    connectRate: args.number('connect-rate', 1000, 0.001),
    nackRate: args.number('nack-rate', 0, 0, 1),
    slowFraction: args.number('slow-fraction', 0, 0, 1),
    workers: args.number('workers', 0, 0, 64),
    loadgenProcesses: parseProcessesFlag(args, 'loadgen-processes'),
    mesh: {
      clusters: args.number('clusters', 1000, 0, 1_000_000),
      endpoints: args.number('endpoints', 5, 0, 10_000),
      listeners: args.number('listeners', 10, 0, 100_000),
      routes: args.number('routes', 10, 0, 100_000),
    },
    scenario: args.choice<Scenario>('scenario', SCENARIOS, 'updates'),
    source: args.choice<SourceKind>('source', SOURCE_KINDS, 'file'),
    replicas: args.number('replicas', 1, 1, 64),
    churn: args.choice<Churn>('churn', CHURNS, 'endpoint'),
    rounds: args.number('rounds', 5, 0, 100_000),
    rate: args.number('rate', 0, 0, 1000),
    syncTimeoutMs: args.number('sync-timeout', 300, 1) * 1000,
    syncStallMs: args.number('sync-stall-timeout', 30, 1, 86_400) * 1000,
    roundTimeoutMs: args.number('round-timeout', 60, 1) * 1000,
    settleMs: args.number('settle-ms', 1000, 0),
    loopbackAddresses: parseLoopbackAddresses(args.string('loopback-addresses')),
    target,
    configFile: configFile ? path.resolve(configFile) : undefined,
    serverPid: serverPid === undefined ? undefined : Number(serverPid),
    serverLogLevel: args.string('server-log-level') ?? 'info',
    serverArgs: args.all('server-arg'),
    serverNodeArgs: args.all('server-node-arg'),
    serverEnv: parseServerEnv(args.all('server-env')),
    floorNodeArgs: args.all('floor-node-arg'),
    serverLoopDelay: args.flag('server-loop-delay'),
    withFloor: args.flag('with-floor'),
    outDir: path.resolve(args.string('out') ?? path.join(__dirname, '..', '..', 'bench', 'results')),
    thresholds: args.all('threshold'),
    quiet: args.flag('quiet'),
  };
  args.rejectUnknown();
  if (!Number.isInteger(options.replicas)) throw new UsageError(`--replicas must be a whole number, got ${options.replicas}`);
  if (target && (options.source !== 'file' || options.replicas > 1)) throw new UsageError('--source etcd and --replicas start our servers: they cannot be used with --target');
  if (options.withFloor && (options.source !== 'file' || options.replicas > 1))
    throw new UsageError('--with-floor compares one server on a file with the floor: leave out --source etcd and --replicas');
  if (target && options.loopbackAddresses !== 'auto') throw new UsageError('--loopback-addresses spreads the nodes over our servers: it cannot be used with --target');
  if (options.scenario === 'failover' && options.replicas < 2) throw new UsageError('--scenario failover kills one replica and moves its nodes to the others: it needs --replicas 2 or more');
  if (options.scenario === 'restart' && options.replicas > 1) throw new UsageError('--scenario restart restarts the one server; with --replicas use --scenario failover');
  if (options.scenario === 'restart' && target) throw new UsageError('--scenario restart kills and restarts our server: it cannot be used with --target');
  if (options.serverLogLevel !== 'info' && options.serverLogLevel !== 'debug' && options.serverLogLevel !== 'trace' && !target) {
    process.stderr.write(`note: --server-log-level ${options.serverLogLevel} hides "configuration applied"; commit times fall back to file writes\n`);
  }
  return options;
}

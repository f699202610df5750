/**
 * @module cli/status
 * `fanout-xds status`: the fleet's rollout status as the replicas publish
 * it in etcd: per replica and in total, the revision served, nodes
 * connected / in sync / NACKed, and the NACK errors. `--json` for machines.
 */
import { parseArgs } from 'node:util';
import { etcdLayout } from '../source/etcd-keys';
import { createEtcdClient } from '../source/etcd-client';
import { EtcdUnavailableError } from '../errors';
import { configRevision, describeNack, readFleet } from '../status';
import type { Fleet, ReplicaStatus } from '../status';
import { DEFAULT_ETCD_ENDPOINT, ETCD_CONNECTION_HELP } from './etcd-flags';
import { ETCD_CONNECTION_OPTIONS, readEtcdConnection } from './etcd-connection-flags';

export const STATUS_HELP = `fanout-xds status: rollout status of every live replica

Usage: fanout-xds status [options]

  --json                        print one JSON object instead of a table
${ETCD_CONNECTION_HELP}  -h, --help                    show this help

Each replica started with --etcd-endpoints publishes its status under
<prefix>status/replicas/<replica> (under a lease: it disappears when the replica dies),
at most once a second: the etcd revision whose configuration it serves, nodes connected,
nodes in sync (every subscribed resource ACKed at the version served now), nodes whose
latest reply is a NACK, and the NACKs (node, type, resource, error; at most 100 per replica).
"config revision" is the newest configuration in etcd: a replica below it is behind.

Exit codes: 0 (whatever the fleet's state), 1 etcd unreachable or refusing us (TLS, auth), 2 usage.
`;

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

function table(replicas: readonly ReplicaStatus[], target: number): string[] {
  const rows = replicas.map((r) => [
    r.replica,
    String(r.revision) + (r.revision < target ? ' (behind)' : '') + (r.rejectedRevision !== undefined ? ` (rejected ${r.rejectedRevision})` : ''),
    String(r.connected),
    String(r.inSync),
    String(r.nacked),
    r.updatedAt,
  ]);
  const total = (f: (r: ReplicaStatus) => number): string => String(replicas.reduce((n, r) => n + f(r), 0));
  rows.push([`total (${replicas.length} replica${replicas.length === 1 ? '' : 's'})`, '', total((r) => r.connected), total((r) => r.inSync), total((r) => r.nacked), '']);
  const header = ['REPLICA', 'REVISION', 'CONNECTED', 'IN SYNC', 'NACKED', 'UPDATED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [pad(header, widths), ...rows.map((r) => pad(r, widths))];
}

/** The fleet as text lines. */
export function describeFleet(fleet: Fleet, target: number, prefix: string): string[] {
  const lines: string[] = [`config revision ${target} (prefix ${prefix})`];
  if (fleet.replicas.length === 0) {
    lines.push(`no replica is live: nothing under ${prefix}status/replicas/ (a replica publishes there when started with --etcd-endpoints and this --etcd-prefix)`);
  } else {
    lines.push(...table(fleet.replicas, target));
    const nacks = fleet.replicas.flatMap((r) => r.nacks.map((n) => describeNack(r.replica, n)));
    if (nacks.length > 0) lines.push('', 'NACKs:', ...nacks.map((l) => `  ${l}`));
    for (const r of fleet.replicas) if (r.nacksOmitted > 0) lines.push(`  replica ${r.replica}: ${r.nacksOmitted} more NACKs not listed`);
  }
  for (const u of fleet.unreadable) lines.push(`warning: ${u.key} is not a replica status (${u.problem}); ignored`);
  return lines;
}

/** Run `status`; resolves with the exit code. */
export async function runStatus(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { ...ETCD_CONNECTION_OPTIONS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write(STATUS_HELP);
    return 0;
  }
  const target = readEtcdConnection(values, STATUS_HELP, DEFAULT_ETCD_ENDPOINT) as NonNullable<ReturnType<typeof readEtcdConnection>>;
  const layout = etcdLayout(target.prefix);
  const client = createEtcdClient(target);
  try {
    let fleet: Awaited<ReturnType<typeof readFleet>>;
    let revision: number;
    try {
      [fleet, revision] = await Promise.all([readFleet(client, layout), configRevision(client, layout)]);
    } catch (err) {
      throw new EtcdUnavailableError(target.endpoints, err);
    }
    if (values.json) {
      const sum = (f: (r: ReplicaStatus) => number): number => fleet.replicas.reduce((n, r) => n + f(r), 0);
      const total = { replicas: fleet.replicas.length, connected: sum((r) => r.connected), inSync: sum((r) => r.inSync), nacked: sum((r) => r.nacked) };
      process.stdout.write(`${JSON.stringify({ prefix: layout.prefix, configRevision: revision, etcdRevision: fleet.revision, total, replicas: fleet.replicas, unreadable: fleet.unreadable })}\n`);
    } else {
      for (const line of describeFleet(fleet, revision, layout.prefix)) process.stdout.write(`${line}\n`);
    }
    return 0;
  } finally {
    client.close();
  }
}

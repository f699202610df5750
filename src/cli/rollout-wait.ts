/**
 * @module cli/rollout-wait
 * `apply --wait DURATION`: after the write, follow the replicas' published
 * status (an etcd watch on `<prefix>status/replicas/`, no polling) until
 * every connected node of every live replica is in sync with the applied
 * revision (exit 0), a node NACKs it or a replica rejects it (exit 1), or
 * the time runs out (exit 1, naming what is behind).
 */
import type { Etcd3 } from 'etcd3';
import { createEtcdClient } from '../source/etcd-client';
import type { EtcdConnectionOptions } from '../source/etcd-client';
import { EtcdUnavailableError } from '../errors';
import type { EtcdLayout } from '../source/etcd-keys';
import { configRevision, describeLagging, describeNack, FleetWatch, rolloutVerdict } from '../status';
import type { Fleet, RolloutVerdict } from '../status';
import { EXIT_FAILURE } from './usage';

/** A progress line at most this often while waiting (stderr). */
const PROGRESS_EVERY_MS = 5_000;

/** What to wait for. */
export interface RolloutWait {
  /** The etcd the apply wrote to (endpoints, TLS, auth). */
  readonly connection: EtcdConnectionOptions;
  readonly layout: EtcdLayout;
  /** The revision written; undefined when the apply wrote nothing (then: the newest configuration in etcd). */
  readonly revision: number | undefined;
  readonly timeoutMs: number;
  readonly json: boolean;
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function nodesInSync(fleet: Fleet): string {
  const connected = fleet.replicas.reduce((n, r) => n + r.connected, 0);
  const inSync = fleet.replicas.reduce((n, r) => n + r.inSync, 0);
  return `${fleet.replicas.length} replica${fleet.replicas.length === 1 ? '' : 's'}, ${inSync} of ${connected} nodes in sync`;
}

/** Wait; resolves with the exit code after printing the outcome. */
export async function waitForRollout(w: RolloutWait): Promise<number> {
  const client = createEtcdClient(w.connection);
  try {
    let target = w.revision;
    if (target === undefined) {
      try {
        target = await configRevision(client, w.layout);
      } catch (err) {
        throw new EtcdUnavailableError(w.connection.endpoints, err);
      }
    }
    return await follow(client, w, target);
  } finally {
    client.close();
  }
}

function follow(client: Etcd3, w: RolloutWait, target: number): Promise<number> {
  const started = Date.now();
  let lastProgress = started;
  let watch: FleetWatch | undefined;
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  return new Promise<number>((resolve) => {
    const finish = (code: number, text: string[], json: Record<string, unknown>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (w.json) w.out.write(`${JSON.stringify({ wait: { revision: target, waitedMs: Date.now() - started, ...json } })}\n`);
      else for (const line of text) (code === 0 ? w.out : w.err).write(`${line}\n`);
      void (watch?.close() ?? Promise.resolve()).then(() => resolve(code));
    };
    const judge = (fleet: Fleet, timedOut: boolean): void => {
      const v: RolloutVerdict = rolloutVerdict(fleet.replicas, target);
      if (v.kind === 'done') {
        finish(0, [`rollout complete: revision ${target} is ACKed by every node (${nodesInSync(fleet)})`], { outcome: 'done', replicas: v.replicas, nodes: v.nodes });
      } else if (v.kind === 'failed') {
        const lines = [
          `rollout failed: revision ${target} ${v.rejected.length > 0 ? 'was rejected' : 'was NACKed'}`,
          ...v.rejected.map((r) => `replica ${r.replica}: rejected revision ${r.revision} as invalid (its log names the key and field)`),
          ...v.nacks.map((n) => describeNack(n.replica, n.nack)),
          ...(v.nacksOmitted > 0 ? [`${v.nacksOmitted} more NACKs not listed (fanout-xds status)`] : []),
        ];
        finish(EXIT_FAILURE, lines, {
          outcome: v.rejected.length > 0 ? 'rejected' : 'nacked',
          rejected: v.rejected,
          nacks: v.nacks.map((n) => ({ replica: n.replica, ...n.nack })),
          nacksOmitted: v.nacksOmitted,
        });
      } else if (timedOut) {
        const lines =
          v.replicas === 0
            ? [
                `timed out after ${seconds(w.timeoutMs)}: no replica is live (nothing under ${w.layout.replicas}); start replicas with --etcd-endpoints and --etcd-prefix ${w.layout.prefix}, or apply without --wait`,
              ]
            : [`timed out after ${seconds(w.timeoutMs)} waiting for revision ${target} (${nodesInSync(fleet)}); not in sync:`, ...v.lagging.map((l) => `  ${describeLagging(l, target)}`)];
        finish(EXIT_FAILURE, lines, { outcome: 'timeout', replicas: v.replicas, lagging: v.lagging });
      } else if (!w.json && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        w.err.write(`waiting for revision ${target}: ${nodesInSync(fleet)}\n`);
      }
    };
    timer = setTimeout(() => judge(watch?.fleet ?? { replicas: [], unreadable: [] }, true), w.timeoutMs);
    FleetWatch.open(
      client,
      w.layout,
      (fleet) => judge(fleet, false),
      (err) => finish(EXIT_FAILURE, [`cannot follow the replicas' status in etcd: ${err.message}`], { outcome: 'error', error: err.message }),
    ).then(
      (opened) => {
        watch = opened;
        if (done) {
          void opened.close();
          return;
        }
        const fleet = opened.fleet;
        if (fleet.replicas.length === 0 && !w.json) w.err.write(`no replica is live yet (nothing under ${w.layout.replicas}); waiting up to ${seconds(w.timeoutMs)} for one\n`);
        else if (!w.json) w.err.write(`waiting up to ${seconds(w.timeoutMs)} for revision ${target}: ${nodesInSync(fleet)}\n`);
        judge(fleet, false);
      },
      (err: Error) => finish(EXIT_FAILURE, [`cannot read the replicas' status from etcd: ${err.message}`], { outcome: 'error', error: err.message }),
    );
  });
}

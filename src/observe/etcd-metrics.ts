/**
 * @module observe/etcd-metrics
 * Metrics of the etcd configuration source, read at scrape time from the
 * source's status so they never drift from it. Registered only when the
 * server runs on etcd.
 */
import * as client from 'prom-client';

/** The etcd source's state, as the metrics read it. */
export interface EtcdMetricsSource {
  readonly connected: boolean;
  readonly appliedRevision: number;
  readonly configRevision: number;
  readonly rejectedRevisions: number;
  readonly watchRestarts: { readonly reconnect: number; readonly resync: number };
}

/** Register the etcd gauges and counters on `registry`. */
export function registerEtcdMetrics(registry: client.Registry, status: () => EtcdMetricsSource): void {
  const registers = [registry];
  new client.Gauge({
    name: 'xds_etcd_connected',
    help: '1 while the etcd watch (or snapshot read) is connected, 0 during an etcd outage (serving continues)',
    registers,
    // --processes N: 1 only when every serving process is connected.
    aggregator: 'min',
    collect() {
      this.set(status().connected ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'xds_etcd_applied_revision',
    help: 'latest etcd revision this replica has caught up with, status-key writes included (0 before the first snapshot is applied)',
    registers,
    // --processes N: the revision every serving process has applied.
    aggregator: 'min',
    collect() {
      this.set(status().appliedRevision);
    },
  });
  new client.Gauge({
    name: 'xds_etcd_config_revision',
    help: 'etcd revision of the configuration being served: the last revision that changed configuration keys and validated',
    registers,
    // --processes N: the configuration every serving process serves.
    aggregator: 'min',
    collect() {
      this.set(status().configRevision);
    },
  });
  new client.Counter({
    name: 'xds_etcd_rejected_revisions_total',
    help: 'etcd revisions whose configuration failed validation (the last good one stays served)',
    registers,
    // --processes N: every serving process rejects the same revisions.
    aggregator: 'max',
    collect() {
      this.reset();
      this.inc(status().rejectedRevisions);
    },
  });
  new client.Counter({
    name: 'xds_etcd_watch_restarts_total',
    help: 'etcd watch re-established: reconnect (resumed after the last revision received) or resync (snapshot re-read, e.g. after compaction)',
    labelNames: ['reason'],
    registers,
    collect() {
      const { reconnect, resync } = status().watchRestarts;
      this.reset();
      this.inc({ reason: 'reconnect' }, reconnect);
      this.inc({ reason: 'resync' }, resync);
    },
  });
}

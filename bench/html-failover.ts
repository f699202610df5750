/**
 * @module bench/html-failover
 * The HTML report's failover section (`--scenario failover`): per variant,
 * what each node of the killed replica received from the replica it moved
 * to, set against a full sync, and how long until every stream was back.
 * Empty for other scenarios.
 */
import type { BenchResult } from './result';

function kib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(2)} KiB` : '-';
}

function seconds(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-';
}

/** A `<h2>` and a table, or '' without a failover. */
export function failoverSection(result: BenchResult): string {
  const rows: string[] = [];
  for (const variant of ['sotw', 'delta'] as const) {
    const v = result.variants[variant];
    const f = v?.failover;
    if (!v || !f) continue;
    rows.push(
      `<tr><td>${variant}</td><td>${f.movedSeen} / ${f.movedNodes}</td><td>${kib(f.rxBytesPerMovedNode)}</td><td>${kib(v.initialSync.rxBytesPerNode)}</td>` +
        `<td>${f.rxMessagesPerMovedNode.toFixed(2)}</td><td>${seconds(f.backInSyncMs)}</td><td>${f.probe.received} / ${f.probe.expected}</td></tr>`,
    );
  }
  if (rows.length === 0) return '';
  return `<h2>Failover: one of ${result.setup.replicas} replicas killed</h2>
<table border="1" cellpadding="4" style="border-collapse:collapse">
<tr><th>variant</th><th>nodes moved</th><th>received per moved node</th><th>full sync per node (for scale)</th><th>messages per moved node</th><th>kill → all streams on survivors</th><th>probe change reached</th></tr>
${rows.join('\n')}
</table>`;
}

/**
 * @module bench/html-report
 * A self-contained HTML page for one bench run: the setup, the side-by-side
 * table, and inline SVG charts (latency distribution, bytes per node per
 * update, convergence per round), SotW beside delta, and with `--with-floor`
 * the floor server's runs as their own series.
 */
import { formatReport } from './report';
import type { BenchResult, VariantResult } from './result';
import { barChart, lineChart } from './svg-charts';
import { failoverSection } from './html-failover';
import type { Series } from './svg-charts';

const COLORS: Record<string, string> = { sotw: '#1f77b4', delta: '#ff7f0e', 'sotw floor': '#9ecae1', 'delta floor': '#fdd0a2' };

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** A run to chart: ours per variant, then the floor's right after it. */
interface Run {
  readonly name: string;
  readonly v: VariantResult;
}

function runs(result: BenchResult): Run[] {
  const out: Run[] = [];
  for (const variant of ['sotw', 'delta'] as const) {
    const v = result.variants[variant];
    if (v) out.push({ name: variant, v });
    const f = result.floor?.[variant];
    if (f) out.push({ name: `${variant} floor`, v: f });
  }
  return out;
}

/** The report page. */
export function renderHtml(result: BenchResult): string {
  const rs = runs(result);
  const latency = lineChart('Update latency distribution (all rounds)', 'latency from commit to receipt (ms)', 'percentile of node receipts',
    rs.map(({ name, v }): Series => ({ name, color: COLORS[name] ?? '#888', points: v.latencyDistribution.map(([p, ms]) => [ms, p] as const) })), 100);
  const roundLabels = (rs[0]?.v.rounds ?? []).map((r) => `#${r.round}`);
  const bytes = barChart('Bytes received per node per update', 'round', 'bytes per node', roundLabels,
    rs.map(({ name, v }): Series => ({ name, color: COLORS[name] ?? '#888', points: v.rounds.map((r, i) => [i, r.rxBytesPerNode ?? NaN] as const) })));
  const convergence = barChart('Convergence per round (commit → last node)', 'round', 'ms', roundLabels,
    rs.map(({ name, v }): Series => ({ name, color: COLORS[name] ?? '#888', points: v.rounds.map((r, i) => [i, r.convergenceMs] as const) })));
  const sync = barChart('Initial sync: bytes per node', 'variant', 'bytes per node', rs.map((r) => r.name),
    [{ name: 'bytes per node', color: '#2ca02c', points: rs.map(({ v }, i) => [i, v.initialSync.rxBytesPerNode] as const) }]);
  const failed = rs.filter(({ v }) => !v.ok).map(({ name, v }) => `<p class="err">${esc(name)}: ${esc(v.error ?? 'failed')}</p>`).join('');
  const floorNote = result.setup.floor ? `<p>With the floor server: ${esc(result.setup.floor)}. The table's <b>ours/floor</b> columns divide our figure by the floor's.</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fanout-xds bench ${esc(result.setup.startedAt)}</title>
<style>
body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}
pre{background:#f6f8fa;padding:12px;overflow-x:auto;font-size:12px;line-height:1.35}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts svg{border:1px solid #ddd}
.err{color:#b00020;font-weight:bold}
</style></head><body>
<h1>fanout-xds bench: SotW vs delta${result.floor ? ', with the floor' : ''}</h1>
<p>${result.setup.nodes} nodes, ${result.setup.mesh.clusters} clusters × ${result.setup.mesh.endpoints} endpoints, churn <b>${esc(result.setup.churn)}</b> × ${result.setup.rounds} rounds, started ${esc(result.setup.startedAt)}.</p>
${floorNote}${failed}
<div class="charts">${latency}${bytes}${convergence}${sync}</div>
${failoverSection(result)}
<h2>Table</h2>
<pre>${esc(formatReport(result))}</pre>
<h2>Raw result</h2>
<details><summary>JSON</summary><pre>${esc(JSON.stringify(result, null, 2))}</pre></details>
</body></html>
`;
}

/**
 * @module bench/html-report
 * A self-contained HTML page for one bench run: the setup, the side-by-side
 * table, and inline SVG charts (latency distribution, bytes per node per
 * update, convergence per round), SotW beside delta.
 */
import { formatReport } from './report';
import type { BenchResult, VariantResult } from './result';
import { barChart, lineChart } from './svg-charts';
import type { Series } from './svg-charts';

const COLORS: Record<string, string> = { sotw: '#1f77b4', delta: '#ff7f0e' };

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

function variants(result: BenchResult): VariantResult[] {
  return [result.variants.sotw, result.variants.delta].filter((v): v is VariantResult => v !== undefined);
}

/** The report page. */
export function renderHtml(result: BenchResult): string {
  const vs = variants(result);
  const latency = lineChart('Update latency distribution (all rounds)', 'latency from commit to receipt (ms)', 'percentile of node receipts',
    vs.map((v): Series => ({ name: v.variant, color: COLORS[v.variant] ?? '#888', points: v.latencyDistribution.map(([p, ms]) => [ms, p] as const) })), 100);
  const roundLabels = (vs[0]?.rounds ?? []).map((r) => `#${r.round}`);
  const bytes = barChart('Bytes received per node per update', 'round', 'bytes per node', roundLabels,
    vs.map((v): Series => ({ name: v.variant, color: COLORS[v.variant] ?? '#888', points: v.rounds.map((r, i) => [i, r.rxBytesPerNode ?? NaN] as const) })));
  const convergence = barChart('Convergence per round (commit → last node)', 'round', 'ms', roundLabels,
    vs.map((v): Series => ({ name: v.variant, color: COLORS[v.variant] ?? '#888', points: v.rounds.map((r, i) => [i, r.convergenceMs] as const) })));
  const sync = barChart('Initial sync: bytes per node', 'variant', 'bytes per node', vs.map((v) => v.variant),
    [{ name: 'bytes per node', color: '#2ca02c', points: vs.map((v, i) => [i, v.initialSync.rxBytesPerNode] as const) }]);
  const failed = vs.filter((v) => !v.ok).map((v) => `<p class="err">${esc(v.variant)}: ${esc(v.error ?? 'failed')}</p>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fanout-xds bench ${esc(result.setup.startedAt)}</title>
<style>
body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}
pre{background:#f6f8fa;padding:12px;overflow-x:auto;font-size:12px;line-height:1.35}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts svg{border:1px solid #ddd}
.err{color:#b00020;font-weight:bold}
</style></head><body>
<h1>fanout-xds bench: SotW vs delta</h1>
<p>${result.setup.nodes} nodes, ${result.setup.mesh.clusters} clusters × ${result.setup.mesh.endpoints} endpoints, churn <b>${esc(result.setup.churn)}</b> × ${result.setup.rounds} rounds, started ${esc(result.setup.startedAt)}.</p>
${failed}
<div class="charts">${latency}${bytes}${convergence}${sync}</div>
<h2>Table</h2>
<pre>${esc(formatReport(result))}</pre>
<h2>Raw result</h2>
<details><summary>JSON</summary><pre>${esc(JSON.stringify(result, null, 2))}</pre></details>
</body></html>
`;
}

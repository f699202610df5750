/**
 * @module bench/html-report
 * A self-contained HTML page for one bench run, or for two saved runs side
 * by side (`--compare`): where and how it ran (commit, command line,
 * machine), the thresholds coloured pass/fail, the charts, the text table
 * and the raw JSON. No script, no network; a print stylesheet keeps every
 * chart whole on paper.
 */
import { formatGrowth } from './growth';
import { growthCharts } from './growth-charts';
import { formatReport } from './report';
import { reportCharts } from './report-charts';
import type { ChartSet, Run } from './report-charts';
import type { BenchResult, BenchSetup, SweepResult } from './result';
import { describeThreshold } from './thresholds';
import { failoverSection } from './html-failover';

const COLORS: Record<string, string> = { sotw: '#1f77b4', delta: '#ff7f0e', 'sotw floor': '#9ecae1', 'delta floor': '#fdd0a2' };
/** With --compare: the baseline (A) light, the new run (B) dark, per variant. */
const COMPARE_COLORS: Record<string, readonly [string, string]> = { sotw: ['#9ecae1', '#08519c'], delta: ['#fdae6b', '#a63603'] };

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

const STYLE = `
body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
pre{background:#f6f8fa;padding:12px;overflow-x:auto;font-size:12px;line-height:1.35}
table.setup{border-collapse:collapse;font-size:13px}table.setup th{text-align:left;padding:2px 12px 2px 0;color:#555;font-weight:normal;vertical-align:top}
table.setup td{padding:2px 0;font-family:monospace;word-break:break-all}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts svg{border:1px solid #ddd;max-width:100%;height:auto}
ul.thresholds{list-style:none;padding:0;font-family:monospace}ul.thresholds li{padding:3px 8px;margin:2px 0;border-radius:3px}
li.pass{background:#e6f4ea;color:#137333}li.fail{background:#fce8e6;color:#a50e0e;font-weight:bold}
.err{color:#b00020;font-weight:bold}.note{color:#555;font-size:13px}
@media print{
  body{margin:0;max-width:none;font-size:11px}
  .charts{display:block}.charts svg{display:block;width:100%;max-width:17cm;height:auto;border:none;break-inside:avoid;page-break-inside:avoid;margin:0 auto 12px}
  pre{white-space:pre-wrap;font-size:8px;background:none;border:1px solid #ccc}
  details.raw{display:none}
  li.pass,li.fail{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}`;

function setupTable(s: BenchSetup, label = ''): string {
  const rows: [string, string | undefined][] = [
    ['commit', s.gitCommit],
    ['command', s.commandLine],
    ['machine', `${s.hostname ? `${s.hostname}: ` : ''}${s.cores} cores (${s.cpuModel}), ${(s.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${s.platform}, node ${s.node}`],
    ['load average at start', s.loadAverage === undefined ? undefined : String(s.loadAverage)],
    [
      'versions',
      Object.entries(s.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['server', s.server],
    ['started', s.startedAt],
  ];
  return (
    `<table class="setup">${label ? `<caption>${esc(label)}</caption>` : ''}` +
    rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v ?? 'not recorded (saved by an older bench)')}</td></tr>`).join('') +
    '</table>'
  );
}

function scenarioLine(s: BenchSetup): string {
  return (
    `${s.nodes} nodes, ${s.mesh.clusters} clusters × ${s.mesh.endpoints} endpoints, churn <b>${esc(s.churn)}</b> × ${s.rounds} rounds` + `${s.scenario === 'restart' ? ', then a server restart' : ''}.`
  );
}

function thresholdList(result: BenchResult): string {
  if (!result.thresholds.length) return '';
  return '<h2>Thresholds</h2><ul class="thresholds">' + result.thresholds.map((t) => `<li class="${t.pass ? 'pass' : 'fail'}">${esc(describeThreshold(t))}</li>`).join('') + '</ul>';
}

function chartsHtml({ svgs, missing }: ChartSet): string {
  return `<div class="charts">${svgs.join('\n')}</div>` + (missing.length ? `<p class="note">Not measured in this run, so not drawn: ${missing.map(esc).join('; ')}.</p>` : '');
}

function chartSection(runs: readonly Run[]): string {
  return `<h2>Charts</h2>${chartsHtml(reportCharts(runs))}`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>${STYLE}</style></head><body>
${body}
</body></html>
`;
}

function runsOf(result: BenchResult): Run[] {
  const out: Run[] = [];
  for (const variant of ['sotw', 'delta'] as const) {
    const v = result.variants[variant];
    if (v) out.push({ name: variant, color: COLORS[variant] as string, v });
    const f = result.floor?.[variant];
    if (f) out.push({ name: `${variant} floor`, color: COLORS[`${variant} floor`] as string, v: f });
  }
  return out;
}

function failures(result: BenchResult, prefix = ''): string {
  return Object.values(result.variants)
    .filter((v) => v && !v.ok)
    .map((v) => `<p class="err">${esc(prefix)}${esc(v?.variant ?? '')}: ${esc(v?.error ?? 'failed')}</p>`)
    .join('');
}

function floorNote(s: BenchSetup): string {
  return s.floor ? `<p>With the floor server: ${esc(s.floor)}. The table's <b>ours/floor</b> columns divide our figure by the floor's.</p>` : '';
}

/** The report page of one run. */
export function renderHtml(result: BenchResult): string {
  const s = result.setup;
  const failed = failures(result);
  return page(
    `fanout-xds bench ${s.startedAt}`,
    `<h1>fanout-xds bench: SotW vs delta${result.floor ? ', with the floor' : ''}</h1>
<p>${scenarioLine(s)}</p>
${setupTable(s)}
${floorNote(s)}${failed}
${thresholdList(result)}
${chartSection(runsOf(result))}
${failoverSection(result)}
<h2>Table</h2>
<pre>${esc(formatReport(result))}</pre>
<h2>Raw result</h2>
<details class="raw"><summary>JSON</summary><pre>${esc(JSON.stringify(result, null, 2))}</pre></details>`,
  );
}

/**
 * The page of a fleet-size sweep: the growth section (charts of each growth
 * figure against the node count, and the growth table) first, then every
 * size as its own run: thresholds, charts titled with the size, table.
 */
export function renderSweepHtml(sweep: SweepResult): string {
  const first = sweep.runs[0] as BenchResult;
  const s = first.setup;
  const sizes = sweep.fleetSizes.join(', ');
  const withFloor = sweep.runs.some((r) => r.floor);
  const perSize = sweep.runs
    .map((run) => {
      const n = run.setup.nodes;
      return (
        `<h2 id="nodes-${n}">${n} nodes</h2><p class="note">started ${esc(run.setup.startedAt)}, load average ${esc(String(run.setup.loadAverage ?? '?'))} at its start.</p>` +
        failures(run, `${n} nodes, `) +
        thresholdList(run).replace('<h2>Thresholds</h2>', `<h3>Thresholds, ${n} nodes</h3>`) +
        chartsHtml(reportCharts(runsOf(run), ` (${n} nodes)`)) +
        failoverSection(run) +
        `<pre>${esc(formatReport(run))}</pre>`
      );
    })
    .join('\n');
  return page(
    `fanout-xds bench ${s.startedAt}, ${sizes} nodes`,
    `<h1>fanout-xds bench: growth with fleet size (${esc(sizes)} nodes), SotW vs delta${withFloor ? ', with the floor' : ''}</h1>
<p>Each fleet size is a whole bench of its own, with fresh servers: ${s.mesh.clusters} clusters × ${s.mesh.endpoints} endpoints, churn <b>${esc(s.churn)}</b> × ${s.rounds} rounds${s.scenario === 'restart' ? ', then a server restart' : ''}.</p>
${setupTable(s)}
${floorNote(s)}
<h2 id="growth">Growth with fleet size</h2>
${chartsHtml(growthCharts(sweep, (name) => COLORS[name] ?? '#555'))}
<pre>${esc(formatGrowth(sweep))}</pre>
${perSize}
<h2>Raw result</h2>
<details class="raw"><summary>JSON</summary><pre>${esc(JSON.stringify(sweep, null, 2))}</pre></details>`,
  );
}

/** The page for `--compare`: `a` (the baseline) and `b` side by side; `table` is the text comparison. */
export function renderCompareHtml(a: BenchResult, b: BenchResult, names: readonly [string, string], table: string): string {
  const runs: Run[] = [];
  for (const variant of ['sotw', 'delta'] as const) {
    const [light, dark] = COMPARE_COLORS[variant] as readonly [string, string];
    const va = a.variants[variant];
    const vb = b.variants[variant];
    if (va) runs.push({ name: `A ${variant}`, color: light, v: va });
    if (vb) runs.push({ name: `B ${variant}`, color: dark, v: vb });
  }
  return page(
    `fanout-xds bench: ${names[0]} vs ${names[1]}`,
    `<h1>fanout-xds bench compared: A = ${esc(names[0])}, B = ${esc(names[1])}</h1>
<p>Ratios are B / A: below 1× B is smaller (for times and bytes: better).</p>
<h2>A: ${esc(names[0])}</h2><p>${scenarioLine(a.setup)}</p>${setupTable(a.setup)}
<h2>B: ${esc(names[1])}</h2><p>${scenarioLine(b.setup)}</p>${setupTable(b.setup)}
${chartSection(runs)}
<h2>Table</h2>
<pre>${esc(table)}</pre>`,
  );
}

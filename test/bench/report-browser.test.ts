/**
 * The HTML report in a real browser: Debian's chromium, headless, renders
 * the page; the DOM after layout must hold every chart with its visible
 * title, a subtitle with its sample count and axis labels, no two charts
 * may share a title, the screenshot must not be blank, and the page must
 * print. Skipped, saying why, only where chromium is not installed
 * (`apt-get install chromium`; .ci/run installs it).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { renderCompareHtml, renderHtml, renderSweepHtml } from '../../bench/html-report';
import { GROWTH_METRICS, growthPoints } from '../../bench/growth';
import type { BenchResult } from '../../bench/result';
import { formatComparison } from '../../bench/compare';
import { sampleResult } from './sample-result';

const BROWSER_TIMEOUT_MS = 120_000;

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return undefined;
}

const CHROMIUM = findChromium();
const SKIP = CHROMIUM ? false : 'chromium is not installed: apt-get install chromium (CI installs it in .ci/run)';

function chromium(args: readonly string[]): string {
  const run = spawnSync(CHROMIUM as string, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--mute-audio', ...args], {
    encoding: 'utf8',
    timeout: BROWSER_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(run.status, 0, `chromium ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return run.stdout;
}

/** After layout, write each chart's rendered size and its title's rendered width into the DOM, for --dump-dom. */
const MEASURE = `<script>
for (const svg of document.querySelectorAll('svg.chart')) {
  const r = svg.getBoundingClientRect();
  svg.setAttribute('data-rendered', Math.round(r.width) + 'x' + Math.round(r.height));
  for (const cls of ['chart-title', 'chart-subtitle', 'x-label', 'y-label']) {
    const t = svg.querySelector('.' + cls);
    svg.setAttribute('data-' + cls + '-width', t ? String(Math.round(t.getBBox().width)) : '0');
  }
}
</script>`;

interface RenderedChart {
  readonly title: string;
  readonly attrs: Record<string, string>;
  readonly texts: Record<string, string>;
}

function chartsIn(dom: string): RenderedChart[] {
  const out: RenderedChart[] = [];
  for (const m of dom.matchAll(/<svg ([^>]*class="chart"[^>]*)>([^]*?)<\/svg>/g)) {
    const attrs: Record<string, string> = {};
    for (const a of (m[1] as string).matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1] as string] = a[2] as string;
    const texts: Record<string, string> = {};
    for (const t of (m[2] as string).matchAll(/<text class="([\w-]+)"[^>]*>([^<]*)<\/text>/g)) texts[t[1] as string] = t[2] as string;
    out.push({ title: attrs['data-title'] ?? '', attrs, texts });
  }
  return out;
}

/** Share of non-zero bytes in a PNG's filtered scanlines: a blank page is almost all zeros. */
function inkOf(png: Buffer): number {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG file');
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const len = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  let nonZero = 0;
  for (const b of raw) if (b !== 0) nonZero++;
  return nonZero / raw.length;
}

function checkPage(html: string, expectedTitles: readonly string[], dir: string, name: string): void {
  const file = path.join(dir, `${name}.html`);
  fs.writeFileSync(file, html.replace('</body>', `${MEASURE}</body>`));
  const charts = chartsIn(chromium(['--dump-dom', `file://${file}`]));
  const titles = charts.map((c) => c.title);
  assert.deepEqual([...new Set(titles)].length, titles.length, `no two charts share a title: ${titles.join(' | ')}`);
  for (const t of expectedTitles) assert.ok(titles.includes(t), `${name}: chart "${t}" rendered (got ${titles.join(' | ')})`);
  for (const c of charts) {
    assert.ok(c.attrs['data-rendered'] && !c.attrs['data-rendered'].startsWith('0x'), `${c.title}: laid out (${c.attrs['data-rendered']})`);
    for (const cls of ['chart-title', 'chart-subtitle', 'x-label', 'y-label']) {
      assert.ok(Number(c.attrs[`data-${cls}-width`]) > 0, `${c.title}: its ${cls} is drawn with a width (${c.attrs[`data-${cls}-width`]})`);
    }
    assert.equal(c.texts['chart-title'], c.title.replace(/&/g, '&amp;'), 'the title is visible text, not only a tooltip');
    assert.match(c.texts['chart-subtitle'] ?? '', /n = .*\d/, `${c.title}: the subtitle gives the sample count`);
    assert.match(c.texts['y-label'] ?? '', /\(.+\)/, `${c.title}: the y axis label gives its unit`);
  }
  const shot = path.join(dir, `${name}.png`);
  chromium([`--screenshot=${shot}`, '--window-size=1400,2400', `file://${file}`]);
  const ink = inkOf(fs.readFileSync(shot));
  assert.ok(ink > 0.01, `${name}: the screenshot is not blank (${(ink * 100).toFixed(2)}% ink)`);
  const pdf = path.join(dir, `${name}.pdf`);
  chromium(['--no-pdf-header-footer', `--print-to-pdf=${pdf}`, `file://${file}`]);
  const printed = fs.readFileSync(pdf);
  assert.equal(printed.subarray(0, 5).toString('latin1'), '%PDF-', `${name}: prints`);
  assert.ok((printed.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length >= 2, `${name}: the printed charts take more than one page`);
}

const RUN_CHARTS = [
  'Update latency by percentile (commit → node receipt)',
  'Update latency per round',
  'Convergence per round (commit → last node)',
  'Bytes received per node, per update round',
  'Initial sync: bytes received per node, per run',
  'Every change: receipt after the first node (no marker needed)',
  'Nodes connected over time',
  'Nodes in sync over time',
  'Server CPU over time',
  'Server RSS over time',
  'Server event-loop delay over time',
  'Loadgen CPU over time',
];

/** A two-size sweep from sample results: the larger fleet costs more, and has a floor run. */
function sampleSweep(): Parameters<typeof renderSweepHtml>[0] {
  const sizes = [100, 250];
  const runs: BenchResult[] = sizes.map((nodes, i) => {
    const r = sampleResult(1 + i);
    const floor = sampleResult(0.7 + i * 0.6).variants;
    return { ...r, setup: { ...r.setup, nodes }, floor };
  });
  return { fleetSizes: sizes, growth: growthPoints(runs), runs };
}

describe('bench HTML report in headless chromium', { skip: SKIP }, () => {
  it('renders every chart of a run with its title, sample count and axis labels, on screen and printed', { timeout: 4 * BROWSER_TIMEOUT_MS }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
    try {
      checkPage(renderHtml(sampleResult()), RUN_CHARTS, dir, 'run');
    } finally {
      if (!process.env['KEEP_REPORT_SCREENSHOTS']) fs.rmSync(dir, { recursive: true, force: true });
      else process.stderr.write(`report screenshots kept in ${dir}\n`);
    }
  });

  it("renders a fleet-size sweep: the growth charts and every size's own charts, titled apart", { timeout: 4 * BROWSER_TIMEOUT_MS }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
    try {
      const growth = [...GROWTH_METRICS.map((m) => m.title), 'Ours / floor by fleet size'];
      const perSize = [100, 250].flatMap((n) => RUN_CHARTS.map((t) => `${t} (${n} nodes)`));
      checkPage(renderSweepHtml(sampleSweep()), [...growth, ...perSize], dir, 'sweep');
    } finally {
      if (!process.env['KEEP_REPORT_SCREENSHOTS']) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders a comparison of two runs the same way', { timeout: 4 * BROWSER_TIMEOUT_MS }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
    try {
      const [a, b] = [sampleResult(1), sampleResult(1.4)];
      checkPage(renderCompareHtml(a, b, ['A', 'B'], formatComparison(a, b, ['A', 'B'])), RUN_CHARTS, dir, 'compare');
    } finally {
      if (!process.env['KEEP_REPORT_SCREENSHOTS']) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

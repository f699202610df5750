/**
 * @module bench/svg-charts
 * Chart kinds as inline SVG strings, with no dependencies: line charts (time
 * series, and latency by percentile on HdrHistogram's log axis), grouped
 * bars (one figure per round) and grouped boxes (a distribution per round).
 * Every chart carries a visible title, a subtitle with its sample count and
 * axis labels with units; the HTML report embeds them, so it opens anywhere
 * offline and prints as drawn.
 */

/** One named series. */
export interface Series {
  readonly name: string;
  readonly color: string;
  /** Line chart: [x, y] points. Bar chart: one value per group. */
  readonly points: readonly (readonly [number, number])[];
}

/** The words around a chart. */
export interface ChartText {
  readonly title: string;
  /** Sample count and anything needed to read the chart right. */
  readonly subtitle: string;
  /** Axis labels, with units: "latency (ms)". */
  readonly xLabel: string;
  readonly yLabel: string;
}

/** A tick placed by the caller (e.g. percentiles on a log axis). */
export interface Tick {
  readonly at: number;
  readonly label: string;
}

/** One box: whiskers min–p99, box p25–p75, line at p50, dot at max. */
export interface Box {
  readonly min: number;
  readonly p25: number;
  readonly p50: number;
  readonly p75: number;
  readonly p99: number;
  readonly max: number;
}

/** Boxes of one series, one per group (undefined where it has none). */
export interface BoxSeries {
  readonly name: string;
  readonly color: string;
  readonly boxes: readonly (Box | undefined)[];
}

const W = 640;
const H = 360;
const M = { top: 70, right: 36, bottom: 48, left: 76 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** A "nice" axis maximum and tick step for values up to `max`. */
function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

function frame(text: ChartText, body: string, xTicks: string, yTicks: string, legend: readonly { name: string; color: string }[]): string {
  const legendItems = legend
    .map(
      (s, i) =>
        `<g transform="translate(${M.left + (i % 4) * 140},${46 + Math.floor(i / 4) * 14})"><rect width="11" height="11" fill="${s.color}"/><text x="16" y="10" font-size="11">${esc(s.name)}</text></g>`,
    )
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" role="img" aria-label="${esc(text.title)}" data-title="${esc(text.title)}">` +
    `<title>${esc(text.title)}</title>` +
    `<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>` +
    `<text class="chart-title" x="${W / 2}" y="18" font-size="15" font-weight="bold" text-anchor="middle">${esc(text.title)}</text>` +
    `<text class="chart-subtitle" x="${W / 2}" y="35" font-size="${text.subtitle.length > 100 ? 9.5 : 11}" fill="#555" text-anchor="middle">${esc(text.subtitle)}</text>` +
    yTicks +
    xTicks +
    body +
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>` +
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>` +
    `<text class="x-label" x="${(M.left + W - M.right) / 2}" y="${H - 10}" font-size="12" text-anchor="middle">${esc(text.xLabel)}</text>` +
    `<text class="y-label" transform="translate(16,${(M.top + H - M.bottom) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(text.yLabel)}</text>` +
    legendItems +
    '</svg>'
  );
}

/** Gridlines and labels from `bottom` (0, or a negative multiple of `step`) to `top`. */
function yAxis(top: number, step: number, bottom = 0): string {
  let s = '';
  for (let v = bottom; v <= top + step / 2; v += step) {
    const y = H - M.bottom - ((v - bottom) / (top - bottom)) * PH;
    s +=
      `<line x1="${M.left}" y1="${y.toFixed(1)}" x2="${W - M.right}" y2="${y.toFixed(1)}" stroke="#eee"/>` +
      `<text x="${M.left - 6}" y="${(y + 4).toFixed(1)}" font-size="11" text-anchor="end">${fmtTick(v)}</text>`;
  }
  return s;
}

function finite(values: readonly number[]): number[] {
  return values.filter(Number.isFinite);
}

/**
 * Line chart of `series`; x from 0 to `xMax` (or the data's), y from 0 to
 * the data's maximum. Non-finite points break a line. `xTicks` replaces the
 * evenly spaced x ticks; `markers` draws a dot on every point (for a few
 * measured points, such as one per fleet size, rather than a dense series).
 */
export function lineChart(text: ChartText, series: readonly Series[], opts: { xMax?: number; xTicks?: readonly Tick[]; markers?: boolean } = {}): string {
  const pts = series.flatMap((s) => s.points);
  const x = opts.xMax !== undefined ? { top: opts.xMax, step: opts.xMax / 5 } : niceScale(Math.max(0, ...finite(pts.map((p) => p[0]))));
  // From 0 up, unless a figure is negative (e.g. memory over idle that shrank): then from below it.
  const ys = finite(pts.map((p) => p[1]));
  const low = Math.min(0, ...ys);
  const y = niceScale(Math.max(0, ...ys) - low);
  const bottom = low < 0 ? -Math.ceil(-low / y.step - 1e-9) * y.step : 0;
  const top = low < 0 ? bottom + Math.ceil((Math.max(0, ...ys) - bottom) / y.step - 1e-9) * y.step || y.step : y.top;
  const sx = (v: number): number => M.left + (Math.min(v, x.top) / x.top) * PW;
  const sy = (v: number): number => H - M.bottom - ((v - bottom) / (top - bottom)) * PH;
  const ticks: Tick[] = opts.xTicks ? [...opts.xTicks] : [];
  if (!opts.xTicks) for (let v = 0; v <= x.top + x.step / 2; v += x.step) ticks.push({ at: v, label: fmtTick(v) });
  const xTicks = ticks
    .map(
      (t) =>
        `<line x1="${sx(t.at).toFixed(1)}" y1="${M.top}" x2="${sx(t.at).toFixed(1)}" y2="${H - M.bottom}" stroke="#f0f0f0"/>` +
        `<text x="${sx(t.at).toFixed(1)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${esc(t.label)}</text>`,
    )
    .join('');
  const body = series
    .map((s) => {
      const runs: string[][] = [[]];
      for (const [px, py] of s.points) {
        if (Number.isFinite(px) && Number.isFinite(py)) (runs[runs.length - 1] as string[]).push(`${sx(px).toFixed(1)},${sy(py).toFixed(1)}`);
        else if ((runs[runs.length - 1] as string[]).length) runs.push([]);
      }
      const dot = (p: string): string => `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="${opts.markers ? 3.5 : 2.5}" fill="${s.color}"/>`;
      return runs
        .filter((r) => r.length)
        .map((r) => (r.length === 1 ? dot(r[0] as string) : `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${r.join(' ')}"/>` + (opts.markers ? r.map(dot).join('') : '')))
        .join('');
    })
    .join('');
  return frame(text, body, xTicks, yAxis(top, y.step, bottom), series);
}

/** Label every nth group so at most ~30 labels show. */
function groupLabel(labels: readonly string[], g: number): boolean {
  return labels.length <= 30 || g % Math.ceil(labels.length / 30) === 0;
}

/** Grouped bar chart: one group per label, one bar per series (points[i][1] is the value of group i). */
export function barChart(text: ChartText, labels: readonly string[], series: readonly Series[]): string {
  const values = finite(series.flatMap((s) => s.points.map((p) => p[1])));
  const y = niceScale(Math.max(0, ...values));
  const groupW = PW / Math.max(1, labels.length);
  const barW = Math.max(2, (groupW * 0.8) / Math.max(1, series.length));
  const sy = (v: number): number => H - M.bottom - (v / y.top) * PH;
  let body = '';
  let xTicks = '';
  labels.forEach((label, g) => {
    const gx = M.left + g * groupW + groupW * 0.1;
    series.forEach((s, i) => {
      const v = s.points[g]?.[1] ?? NaN;
      if (!Number.isFinite(v)) return;
      body += `<rect x="${(gx + i * barW).toFixed(1)}" y="${sy(v).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(H - M.bottom - sy(v)).toFixed(1)}" fill="${s.color}"><title>${esc(`${s.name} ${label}: ${+v.toFixed(3)}`)}</title></rect>`;
    });
    if (groupLabel(labels, g)) xTicks += `<text x="${(gx + (barW * series.length) / 2).toFixed(1)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${esc(label)}</text>`;
  });
  return frame(text, body, xTicks, yAxis(y.top, y.step), series);
}

/** Grouped box chart: one group per label, one box per series. */
export function boxChart(text: ChartText, labels: readonly string[], series: readonly BoxSeries[]): string {
  const values = finite(series.flatMap((s) => s.boxes.flatMap((b) => (b ? [b.max, b.p99] : []))));
  const y = niceScale(Math.max(0, ...values));
  const groupW = PW / Math.max(1, labels.length);
  const boxW = Math.max(3, (groupW * 0.8) / Math.max(1, series.length));
  const sy = (v: number): number => H - M.bottom - (Math.min(v, y.top) / y.top) * PH;
  let body = '';
  let xTicks = '';
  labels.forEach((label, g) => {
    const gx = M.left + g * groupW + groupW * 0.1;
    series.forEach((s, i) => {
      const b = s.boxes[g];
      if (!b || !Number.isFinite(b.p50)) return;
      const left = gx + i * boxW + 1;
      const w = boxW - 2;
      const mid = left + w / 2;
      const tip = `${s.name} ${label}: min ${b.min}, p25 ${b.p25}, p50 ${b.p50}, p75 ${b.p75}, p99 ${b.p99}, max ${b.max}`;
      body +=
        `<g><title>${esc(tip)}</title>` +
        `<line x1="${mid.toFixed(1)}" y1="${sy(b.min).toFixed(1)}" x2="${mid.toFixed(1)}" y2="${sy(b.p99).toFixed(1)}" stroke="${s.color}"/>` +
        `<rect x="${left.toFixed(1)}" y="${sy(b.p75).toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(1, sy(b.p25) - sy(b.p75)).toFixed(1)}" fill="${s.color}" fill-opacity="0.35" stroke="${s.color}"/>` +
        `<line x1="${left.toFixed(1)}" y1="${sy(b.p50).toFixed(1)}" x2="${(left + w).toFixed(1)}" y2="${sy(b.p50).toFixed(1)}" stroke="${s.color}" stroke-width="2"/>` +
        `<circle cx="${mid.toFixed(1)}" cy="${sy(b.max).toFixed(1)}" r="2" fill="${s.color}"/></g>`;
    });
    if (groupLabel(labels, g)) xTicks += `<text x="${(gx + (boxW * series.length) / 2).toFixed(1)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${esc(label)}</text>`;
  });
  return frame(text, body, xTicks, yAxis(y.top, y.step), series);
}

/** HdrHistogram's percentile axis: x = log10(1 / (1 - p)), so each further nine gets the same width. */
export function percentileX(percentile: number): number {
  return Math.log10(1 / Math.max(1e-5, 1 - percentile / 100));
}

/** Ticks of the percentile axis, 0 % to 99.999 %. */
export const PERCENTILE_TICKS: readonly Tick[] = [0, 50, 90, 99, 99.9, 99.99, 99.999].map((p) => ({ at: percentileX(p), label: `${p}%` }));

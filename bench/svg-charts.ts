/**
 * @module bench/svg-charts
 * Two chart kinds as inline SVG strings, with no dependencies: a line chart
 * (latency distributions) and a grouped bar chart (bytes per update per
 * round). The HTML report embeds them, so it opens anywhere offline.
 */

/** One named series. */
export interface Series {
  readonly name: string;
  readonly color: string;
  /** Line chart: [x, y] points. Bar chart: one value per group. */
  readonly points: readonly (readonly [number, number])[];
}

const W = 640;
const H = 320;
const M = { top: 20, right: 20, bottom: 48, left: 70 };

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

function frame(title: string, xLabel: string, yLabel: string, body: string, xTicks: string, yTicks: string, legend: readonly Series[]): string {
  const legendItems = legend.map((s, i) =>
    `<g transform="translate(${M.left + 10 + i * 110},${M.top + 4})"><rect width="12" height="12" fill="${s.color}"/><text x="18" y="11" font-size="12">${esc(s.name)}</text></g>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title>` +
    `<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>` +
    yTicks + xTicks + body +
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>` +
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>` +
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text transform="translate(16,${(M.top + H - M.bottom) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(yLabel)}</text>` +
    legendItems + '</svg>';
}

function yAxis(top: number, step: number): string {
  const ph = H - M.top - M.bottom;
  let s = '';
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = H - M.bottom - (v / top) * ph;
    s += `<line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#eee"/>` +
      `<text x="${M.left - 6}" y="${y + 4}" font-size="11" text-anchor="end">${fmtTick(v)}</text>`;
  }
  return s;
}

/** Line chart of `series` points; y from 0 to `yMax` (or the data's max). */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[], yMax?: number): string {
  const pts = series.flatMap((s) => s.points);
  const x = niceScale(Math.max(0, ...pts.map((p) => p[0])));
  const y = yMax !== undefined ? { top: yMax, step: yMax / 5 } : niceScale(Math.max(0, ...pts.map((p) => p[1])));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v: number): number => M.left + (v / x.top) * pw;
  const sy = (v: number): number => H - M.bottom - (v / y.top) * ph;
  let xTicks = '';
  for (let v = 0; v <= x.top + x.step / 2; v += x.step) {
    xTicks += `<line x1="${sx(v)}" y1="${M.top}" x2="${sx(v)}" y2="${H - M.bottom}" stroke="#f3f3f3"/>` +
      `<text x="${sx(v)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${fmtTick(v)}</text>`;
  }
  const body = series.map((s) => s.points.length === 0 ? '' :
    `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ')}"/>`).join('');
  return frame(title, xLabel, yLabel, body, xTicks, yAxis(y.top, y.step), series);
}

/** Grouped bar chart: one group per label, one bar per series (points[i][1] is the value of group i). */
export function barChart(title: string, xLabel: string, yLabel: string, labels: readonly string[], series: readonly Series[]): string {
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const y = niceScale(Math.max(0, ...values));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const groupW = pw / Math.max(1, labels.length);
  const barW = Math.max(2, (groupW * 0.8) / Math.max(1, series.length));
  const sy = (v: number): number => H - M.bottom - (v / y.top) * ph;
  let body = '';
  let xTicks = '';
  labels.forEach((label, g) => {
    const gx = M.left + g * groupW + groupW * 0.1;
    series.forEach((s, i) => {
      const v = s.points[g]?.[1] ?? NaN;
      if (!Number.isFinite(v)) return;
      body += `<rect x="${(gx + i * barW).toFixed(1)}" y="${sy(v).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(H - M.bottom - sy(v)).toFixed(1)}" fill="${s.color}"><title>${esc(`${s.name} ${label}: ${v.toFixed(1)}`)}</title></rect>`;
    });
    if (labels.length <= 30 || g % Math.ceil(labels.length / 30) === 0) {
      xTicks += `<text x="${(gx + (barW * series.length) / 2).toFixed(1)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${esc(label)}</text>`;
    }
  });
  return frame(title, xLabel, yLabel, body, xTicks, yAxis(y.top, y.step), series);
}

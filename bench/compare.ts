/**
 * @module bench/compare
 * `npm run bench -- --compare A.json B.json [--out DIR]`: two saved runs
 * side by side, per variant A, B and B / A, as a text table on stdout and an
 * HTML page in DIR, so a change is judged against the last run rather than
 * from memory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../loadgen/index';
import { renderCompareHtml } from './html-report';
import { pad, ratio, setupLine, tableRows } from './report';
import type { BenchResult, VariantResult } from './result';

const COMPARE_USAGE = `usage: npm run bench -- --compare A.json B.json [--out DIR]
  A is the baseline, B the run to judge; ratios are B / A. The HTML page goes to DIR (default bench/results).`;

/** Read a saved result; a clear error names the file and what is wrong. */
function readResult(file: string): BenchResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--compare: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of a bench result .json`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--compare: ${file} is not JSON (${(err as Error).message}); give a bench result .json, not the .html`);
  }
  const sweep = parsed as { fleetSizes?: unknown; runs?: unknown };
  if (typeof sweep === 'object' && sweep !== null && Array.isArray(sweep.fleetSizes) && Array.isArray(sweep.runs)) {
    throw new UsageError(
      `--compare: ${file} is a fleet-size sweep (--nodes ${sweep.fleetSizes.join(',')}); compare single-size results, or read its growth table and "runs" (one full result per size)`,
    );
  }
  const r = parsed as Partial<BenchResult>;
  if (typeof r !== 'object' || r === null || typeof r.setup !== 'object' || typeof r.variants !== 'object') {
    throw new UsageError(`--compare: ${file} is not a bench result (no "setup" and "variants"); give a file written by npm run bench`);
  }
  return { thresholds: [], ...r } as BenchResult;
}

const LABEL_WIDTH = 40;
const CELL_WIDTH = 14;
const RATIO_WIDTH = 10;

/** The comparison as text: both setups, then per variant A, B and B / A for every row of the table. */
export function formatComparison(a: BenchResult, b: BenchResult, names: readonly [string, string]): string {
  const out = [`A: ${names[0]}`, setupLine(a.setup), '', `B: ${names[1]}`, setupLine(b.setup), ''];
  const variants = (['sotw', 'delta'] as const).filter((v) => a.variants[v] || b.variants[v]);
  const cols: { title: string; width: number; cell: (of: (v: VariantResult) => number, fmt: (n: number) => string) => string }[] = [];
  for (const name of variants) {
    const va = a.variants[name];
    const vb = b.variants[name];
    cols.push({ title: `A ${name}`, width: CELL_WIDTH, cell: (of, fmt) => (va ? fmt(of(va)) : '-') });
    cols.push({ title: `B ${name}`, width: CELL_WIDTH, cell: (of, fmt) => (vb ? fmt(of(vb)) : '-') });
    cols.push({ title: 'B/A', width: RATIO_WIDTH, cell: (of) => (va && vb ? ratio(of(va), of(vb)) : '-') });
  }
  out.push(pad('metric', LABEL_WIDTH) + cols.map((c) => pad(c.title, c.width, true)).join(''));
  out.push('-'.repeat(LABEL_WIDTH + cols.reduce((n, c) => n + c.width, 0)));
  for (const [label, of, fmt] of tableRows([a, b])) {
    out.push(pad(label, LABEL_WIDTH) + cols.map((c) => pad(c.cell(of, fmt), c.width, true)).join(''));
  }
  for (const name of variants) {
    const bad = [a.variants[name], b.variants[name]].map((v, i) => (v && !v.ok ? `${i ? 'B' : 'A'} ${name} failed: ${v.error ?? '?'}` : '')).filter(Boolean);
    out.push(...bad);
  }
  return out.join('\n') + '\n';
}

/** `--compare A.json B.json [--out DIR]`; returns the exit code. */
export function compareMain(argv: readonly string[], defaultOutDir: string): number {
  try {
    const at = argv.indexOf('--compare');
    const files = argv.slice(at + 1, at + 3);
    if (files.length !== 2 || files.some((f) => f.startsWith('--'))) throw new UsageError('--compare needs two result files: A.json (the baseline) and B.json');
    const rest = [...argv.slice(0, at), ...argv.slice(at + 3)];
    let outDir = defaultOutDir;
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i] as string;
      if (arg === '--out' && rest[i + 1] !== undefined) outDir = path.resolve(rest[++i] as string);
      else if (arg.startsWith('--out=')) outDir = path.resolve(arg.slice('--out='.length));
      else throw new UsageError(`--compare takes only --out DIR besides the two files, got ${arg}`);
    }
    const [fa, fb] = files as [string, string];
    const a = readResult(fa);
    const b = readResult(fb);
    const names = [path.basename(fa, '.json'), path.basename(fb, '.json')] as const;
    const table = formatComparison(a, b, names);
    process.stdout.write(table);
    fs.mkdirSync(outDir, { recursive: true });
    const html = path.join(outDir, `compare-${names[0]}-vs-${names[1]}.html`);
    fs.writeFileSync(html, renderCompareHtml(a, b, names, table));
    process.stdout.write(`\ncomparison: ${html}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${COMPARE_USAGE}\n`);
    return 2;
  }
}

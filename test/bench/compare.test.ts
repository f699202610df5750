/**
 * `npm run bench -- --compare A.json B.json`: two saved results side by
 * side with ratios B / A, as text and as an HTML page, and clear errors for
 * files that are not results.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatComparison } from '../../bench/compare';
import { sampleResult } from './sample-result';

const RUN_JS = path.join(__dirname, '..', '..', 'bench', 'run.js');

function row(text: string, label: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith(label));
  assert.ok(line, `a row ${label}`);
  return line
    .slice(label.length)
    .trim()
    .split(/\s{2,}/);
}

describe('bench --compare', () => {
  it('puts A, B and B / A side by side for each variant', () => {
    const text = formatComparison(sampleResult(1), sampleResult(2), ['base', 'new']);
    assert.match(text, /^A: base\n/);
    assert.match(text, /\nB: new\n/);
    assert.deepEqual(row(text, 'metric'), ['A sotw', 'B sotw', 'B/A', 'A delta', 'B delta', 'B/A']);
    // Server CPU over the whole run is 1.5 s × scale in the sample: twice as much in B.
    assert.deepEqual(row(text, 'server CPU, whole run'), ['1.50 s', '3.00 s', '2.00×', '1.20 s', '2.40 s', '2.00×']);
  });

  it('runs from the command line, prints the table and writes an HTML page with both runs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'));
    try {
      fs.writeFileSync(path.join(dir, 'A.json'), JSON.stringify(sampleResult(1)));
      fs.writeFileSync(path.join(dir, 'B.json'), JSON.stringify(sampleResult(1.5)));
      const run = spawnSync(process.execPath, [RUN_JS, '--compare', path.join(dir, 'A.json'), path.join(dir, 'B.json'), '--out', dir], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /B\/A/);
      assert.match(run.stdout, /1\.50×/);
      const html = fs.readFileSync(path.join(dir, 'compare-A-vs-B.html'), 'utf8');
      for (const name of ['A sotw', 'B sotw', 'A delta', 'B delta']) assert.ok(html.includes(`>${name}</text>`), `legend ${name}`);
      assert.match(html, /<pre>[^]*B\/A[^]*<\/pre>/);
      assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'self-contained');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file that is missing or not a result', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'));
    try {
      fs.writeFileSync(path.join(dir, 'page.html'), '<html></html>');
      fs.writeFileSync(path.join(dir, 'other.json'), '{"a": 1}');
      const missing = spawnSync(process.execPath, [RUN_JS, '--compare', path.join(dir, 'nope.json'), path.join(dir, 'other.json')], { encoding: 'utf8' });
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /cannot read .*nope\.json \(ENOENT\)/);
      const html = spawnSync(process.execPath, [RUN_JS, '--compare', path.join(dir, 'page.html'), path.join(dir, 'other.json')], { encoding: 'utf8' });
      assert.match(html.stderr, /page\.html is not JSON/);
      const other = spawnSync(process.execPath, [RUN_JS, '--compare', path.join(dir, 'other.json'), path.join(dir, 'other.json')], { encoding: 'utf8' });
      assert.match(other.stderr, /other\.json is not a bench result/);
      const one = spawnSync(process.execPath, [RUN_JS, '--compare', path.join(dir, 'other.json')], { encoding: 'utf8' });
      assert.match(one.stderr, /--compare needs two result files/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * @module test/unit/docs/protocol-doc.test
 * Keeps docs/protocol.md true. Code comments and test names cite protocol
 * rules by ID (`B10`, `C22`); the doc explains each rule and names the tests
 * that cover it. These checks fail when a cited ID has no section in the
 * doc, or when a test the doc names was renamed or removed.
 *
 * Sources are read with the TypeScript parser, not regexes: test names may be
 * template strings (`${delta ? 'C19' : 'B6'}: re-applying …`), matched on
 * their literal parts in order (a hole matches any text, so renaming only
 * what fills a hole goes unnoticed), and only real comments count.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const DOC = 'docs/protocol.md';
/** Folders whose TypeScript comments and test names may cite rules. */
const CODE_DIRS = ['src', 'test', 'bench', 'loadgen'];
/** Rule numbers per section: A1–A5, B6–B15, C16–C25, D26–D27, E28–E33, F34–F36. */
const SECTIONS: readonly (readonly [string, number, number])[] = [
  ['A', 1, 5],
  ['B', 6, 15],
  ['C', 16, 25],
  ['D', 26, 27],
  ['E', 28, 33],
  ['F', 34, 36],
];
/** gRPC proposals ("gRFC A27") share the letter-number shape; they are not our rules. */
const RULE_ID = /(?<!gRFC )\b[A-F]\d{1,2}\b/g;
const HAS_RULE_ID = /\b[A-F]\d{1,2}\b/;
/** A template test name must keep this many literal characters to be matched on them. */
const MIN_LITERAL_CHARS = 12;

const ROOT = repoRoot(__dirname);

function repoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository root above ${from}`);
  }
}

/** One rule section of the doc: its ID and the tests its table names. */
interface RuleSection {
  readonly id: string;
  readonly line: number;
  readonly tests: { file: string; name: string; line: number }[];
  notCovered: boolean;
}

/** Rule sections (`### B10. …`) with their test tables (`| \`file\` | \`name\` |`). */
function parseDoc(text: string): RuleSection[] {
  const sections: RuleSection[] = [];
  let current: RuleSection | undefined;
  text.split('\n').forEach((line, i) => {
    const heading = /^(#{1,6}) /.exec(line);
    if (heading) {
      const id = /^### ([A-F]\d{1,2})\b/.exec(line)?.[1];
      current = id ? { id, line: i + 1, tests: [], notCovered: false } : undefined;
      if (current) sections.push(current);
      return;
    }
    if (!current) return;
    const row = /^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*$/.exec(line);
    if (row) current.tests.push({ file: row[1] as string, name: row[2] as string, line: i + 1 });
    if (/\bnot covered\b/i.test(line)) current.notCovered = true;
  });
  return sections;
}

/** Every rule ID in order: A1 … F36. */
function expectedIds(): string[] {
  return SECTIONS.flatMap(([letter, from, to]) => Array.from({ length: to - from + 1 }, (_, k) => `${letter}${from + k}`));
}

function tsFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

const parsed = new Map<string, ts.SourceFile>();
function sourceOf(file: string): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) parsed.set(file, (sf = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true)));
  return sf;
}

/** A test (or suite) declaration: `it(…)`, `test(…)`, `describe(…)`, and how to match its name. */
interface Declared {
  readonly kind: string;
  readonly line: number;
  /** The literal text (templates: their literal parts joined by a space). */
  readonly text: string;
  matches(name: string): boolean;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function declarationsIn(file: string): Declared[] {
  const sf = sourceOf(file);
  const out: Declared[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && ['it', 'test', 'describe'].includes(node.expression.text)) {
      const arg = node.arguments[0];
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      const kind = node.expression.text;
      if (arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg))) {
        const text = arg.text;
        out.push({ kind, line, text, matches: (name) => name === text });
      } else if (arg && ts.isTemplateExpression(arg)) {
        // `${x} that NACKs …`: the literal parts must appear in order, anything may fill the holes.
        const parts = [arg.head.text, ...arg.templateSpans.map((s) => s.literal.text)];
        const re = new RegExp(`^${parts.map(escapeRegExp).join('[\\s\\S]*?')}$`);
        const literal = parts.join('').length;
        out.push({ kind, line, text: parts.join(' '), matches: (name) => literal >= MIN_LITERAL_CHARS && re.test(name) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The text of every comment in a file. */
function commentsIn(file: string): { text: string; line: number }[] {
  const sf = sourceOf(file);
  const seen = new Set<number>();
  const out: { text: string; line: number }[] = [];
  const take = (ranges: ts.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      out.push({ text: sf.text.slice(r.pos, r.end), line: sf.getLineAndCharacterOfPosition(r.pos).line + 1 });
    }
  };
  const visit = (node: ts.Node): void => {
    take(ts.getLeadingCommentRanges(sf.text, node.getFullStart()));
    take(ts.getTrailingCommentRanges(sf.text, node.getEnd()));
    for (const child of node.getChildren(sf)) visit(child);
  };
  visit(sf);
  return out;
}

/** Rule IDs cited in comments (all code folders) and in test and suite names, with where. */
function citedIds(): Map<string, string[]> {
  const cited = new Map<string, string[]>();
  const note = (text: string, file: string, line: number, what: string): void => {
    for (const m of text.matchAll(RULE_ID)) {
      const at = line + (text.slice(0, m.index).match(/\n/g)?.length ?? 0);
      cited.set(m[0], [...(cited.get(m[0]) ?? []), `${file}:${at} (${what})`]);
    }
  };
  for (const file of CODE_DIRS.flatMap(tsFiles)) {
    if (!HAS_RULE_ID.test(fs.readFileSync(path.join(ROOT, file), 'utf8'))) continue;
    for (const c of commentsIn(file)) note(c.text, file, c.line, 'comment');
    if (file.startsWith('test/')) for (const d of declarationsIn(file)) note(d.text, file, d.line, `${d.kind} name`);
  }
  return cited;
}

const doc = parseDoc(fs.readFileSync(path.join(ROOT, DOC), 'utf8'));

test('docs/protocol.md has a section for every rule, A1 to F36 in order, each naming a covering test or saying why none does', () => {
  assert.deepEqual(
    doc.map((s) => s.id),
    expectedIds(),
  );
  const bare = doc.filter((s) => s.tests.length === 0 && !s.notCovered).map((s) => `${s.id} (${DOC}:${s.line})`);
  assert.deepEqual(bare, [], 'sections with neither a test table nor a "Not covered" note');
});

test('every rule ID cited in a code comment or a test name has its section in docs/protocol.md', () => {
  const documented = new Set(doc.map((s) => s.id));
  const cited = citedIds();
  assert.ok(cited.size > 20, `only ${cited.size} rule IDs found in code: is the scan still reading comments and test names?`);
  const missing = [...cited].filter(([id]) => !documented.has(id)).map(([id, where]) => `${id} cited at ${where.join(', ')}`);
  assert.deepEqual(missing, [], `cite a rule of ${DOC} (IDs A1–F36), or add its section`);
});

test('every test docs/protocol.md names as covering a rule exists under that name in the file it names', () => {
  const problems: string[] = [];
  for (const section of doc) {
    for (const t of section.tests) {
      const where = `${DOC}:${t.line} (${section.id})`;
      if (!fs.existsSync(path.join(ROOT, t.file))) {
        problems.push(`${where}: no file ${t.file}`);
        continue;
      }
      const tests = declarationsIn(t.file).filter((d) => d.kind !== 'describe');
      if (!tests.some((d) => d.matches(t.name))) problems.push(`${where}: ${t.file} has no test named "${t.name}"`);
    }
  }
  assert.deepEqual(problems, []);
});

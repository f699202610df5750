/**
 * @module source/parse
 * Config text (YAML or JSON, one or more documents) → raw resources and node
 * groups. Runs inside the encode workers so a large file never blocks the
 * event loop. Every problem names the file, the resource and the field,
 * and shows config text only as a short escaped excerpt (observe/excerpt):
 * a config path may be a symlink to a secret file.
 *
 * Accepted document shape:
 *   resources: [ {"@type": ..., ...}, ... ]         # served to every node
 *   node_groups:                                     # optional
 *     - name: canary
 *       match: { id: "canary-.*", cluster: "...", metadata: { k: v } }
 *       resources: [ ... ]                           # layered over the defaults
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import type { YAMLError } from 'yaml';
import { TYPE_URL_PREFIX } from '../xds/type-urls';
import { excerpt, keyExcerpt, libraryMessage, pathKey } from '../observe/excerpt';
import { DEFAULT_GROUP } from './raw-resource';
import type { ConfigProblem, NodeGroupSpec, NodeMatch, RawResource } from './raw-resource';

/** What one config file yields. */
export interface ParsedConfig {
  readonly resources: RawResource[];
  readonly groups: NodeGroupSpec[];
  readonly problems: ConfigProblem[];
}

/** A translator for another config dialect (e.g. the short form); returns undefined if the document is not its form. */
export type DialectTranslator = (doc: Record<string, unknown>, file: string) => ParsedConfig | undefined;

const dialects: DialectTranslator[] = [];

/** Register a translator tried on every document before the standard form. */
export function registerDialect(translator: DialectTranslator): void {
  dialects.push(translator);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The problem for a file with no document: an editor that truncates before writing must not remove every resource. */
export const NO_DOCUMENT_MESSAGE = 'the file has no document (it is empty, or only whitespace and comments); to serve nothing, write `resources: []`';

/** Keys a standard document may have at the top level. */
const STANDARD_KEYS = ['resources', 'node_groups', 'nodeGroups'];

/** A key that reads like a misspelt config key rather than a line of some other file. */
const PLAIN_KEY = /^[A-Za-z_@][A-Za-z0-9_.@-]{0,39}$/;

/** Unknown keys named one by one in a document with none of ours; more means it is not a config. */
const MAX_UNKNOWN_KEYS_NAMED = 5;

/** Parse the text of one file. `file` is used only in messages. */
export function parseConfigText(text: string, file: string): ParsedConfig {
  const out: ParsedConfig = { resources: [], groups: [], problems: [] };
  if (file.toLowerCase().endsWith('.json')) {
    if (text.trim() === '') {
      out.problems.push({ file, message: NO_DOCUMENT_MESSAGE, refusal: 'no_document' });
      return out;
    }
    // JSON gets JSON.parse: its own error messages, and ~10x faster than YAML on big meshes.
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      out.problems.push({ file, message: `invalid JSON: ${jsonErrorMessage(err as Error, text)}` });
      return out;
    }
    if (value === null) out.problems.push({ file, message: NO_DOCUMENT_MESSAGE, refusal: 'no_document' });
    else readDocument(value, file, undefined, out);
    return out;
  }
  const lineCounter = new LineCounter();
  let docs;
  try {
    // Errors are rendered by yamlErrorMessage: the pretty form quotes the offending source lines.
    docs = parseAllDocuments(text, { prettyErrors: false, lineCounter });
  } catch (err) {
    out.problems.push({ file, message: `cannot parse: ${libraryMessage((err as Error).message)}` });
    return out;
  }
  const list = Array.isArray(docs) ? docs : [docs];
  let documents = 0;
  list.forEach((doc, docIndex) => {
    const docLabel = list.length > 1 ? `document ${docIndex + 1}` : undefined;
    if (doc.errors.length > 0) {
      documents++;
      for (const e of doc.errors) out.problems.push({ file, resource: docLabel, message: `syntax error: ${yamlErrorMessage(e, lineCounter)}` });
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return; // an empty document between others
    documents++;
    readDocument(value, file, docLabel, out);
  });
  if (documents === 0) out.problems.push({ file, message: NO_DOCUMENT_MESSAGE, refusal: 'no_document' });
  return out;
}

/** `reason at line L, column C`, without the source lines the pretty form would quote. */
function yamlErrorMessage(e: YAMLError, lineCounter: LineCounter): string {
  const { line, col } = lineCounter.linePos(e.pos[0]);
  return `${libraryMessage(e.message)} at line ${line}, column ${col}`;
}

/**
 * V8's JSON.parse messages quote the input around the fault
 * (`Unexpected token 'r', "root:$6$Qm"... is not valid JSON`); keep the
 * reason and the position only.
 */
function jsonErrorMessage(err: Error, text: string): string {
  let message = err.message;
  const token = /^Unexpected token '([\s\S])', [\s\S]* is not valid JSON$/.exec(message);
  if (token) message = `unexpected character ${excerpt(token[1] ?? '')}`;
  else message = message.replace(/,? "[\s\S]*" is not valid JSON$/, ' is not valid JSON');
  const position = / at position (\d+)(?: \(line \d+ column \d+\))?/.exec(message);
  if (position) {
    const { line, column } = linePosition(text, Number(position[1]));
    message = `${message.slice(0, position.index)}${message.slice(position.index + position[0].length)} at line ${line}, column ${column}`;
  }
  return libraryMessage(message);
}

/** 1-based line and column of offset `at`, without splitting a text that may be tens of MiB. */
function linePosition(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: at - lineStart + 1 };
}

/** One parsed document: a registered dialect's form, or the standard `resources:` form. */
function readDocument(value: unknown, file: string, docLabel: string | undefined, out: ParsedConfig): void {
  if (!isObject(value)) {
    out.problems.push({ file, resource: docLabel, message: 'expected a mapping with a "resources" list at the top level' });
    return;
  }
  for (const dialect of dialects) {
    const translated = dialect(value, file);
    if (translated) {
      out.resources.push(...translated.resources);
      out.groups.push(...translated.groups);
      out.problems.push(...translated.problems);
      return;
    }
  }
  readStandardDocument(value, file, docLabel, out.resources, out.groups, out.problems);
}

function readStandardDocument(doc: Record<string, unknown>, file: string, docLabel: string | undefined, resources: RawResource[], groups: NodeGroupSpec[], problems: ConfigProblem[]): void {
  const keys = Object.keys(doc);
  const unknown = keys.filter((key) => !STANDARD_KEYS.includes(key));
  // A document with none of our keys is named key by key only when it looks like a typo
  // (`resourcez:`); otherwise it is another file's content behind the path (or `{}`), and
  // each "key" may be a whole line of someone's secret file: one problem, naming none.
  const looksLikeConfig = unknown.length < keys.length || (unknown.length > 0 && unknown.length <= MAX_UNKNOWN_KEYS_NAMED && unknown.every((k) => PLAIN_KEY.test(k)));
  if (!looksLikeConfig) {
    const others = unknown.length === 0 ? '' : ` (it has ${unknown.length} other top-level key${unknown.length === 1 ? '' : 's'})`;
    problems.push({
      file,
      resource: docLabel,
      message: `not a config document: no "resources", "node_groups" or short-form "spec" at the top level${others}; to serve nothing, write \`resources: []\``,
      refusal: 'not_a_config',
    });
    return;
  }
  for (const key of unknown) {
    problems.push({ file, resource: docLabel, field: pathKey(key), message: `unknown top-level key ${keyExcerpt(key)}; expected "resources" and optionally "node_groups"` });
  }
  if (doc['resources'] !== undefined) readResourceList(doc['resources'], 'resources', DEFAULT_GROUP, file, resources, problems);
  const groupList = doc['node_groups'] ?? doc['nodeGroups'];
  if (groupList === undefined) return;
  if (!Array.isArray(groupList)) {
    problems.push({ file, field: 'node_groups', message: 'expected a list of groups' });
    return;
  }
  groupList.forEach((g: unknown, i) => {
    const where = `node_groups[${i}]`;
    if (!isObject(g) || typeof g['name'] !== 'string' || g['name'] === '') {
      problems.push({ file, resource: where, field: 'name', message: 'a node group needs a non-empty "name"' });
      return;
    }
    const match = readMatch(g['match'], file, where, problems);
    if (!match) return;
    groups.push({ name: g['name'], match });
    if (g['resources'] !== undefined) readResourceList(g['resources'], `${where}.resources`, g['name'], file, resources, problems);
  });
}

/** A node group's `match` (id, cluster regexes; metadata equalities), or undefined with a problem at `where`. */
export function readMatch(raw: unknown, file: string, where: string, problems: ConfigProblem[]): NodeMatch | undefined {
  if (!isObject(raw)) {
    problems.push({ file, resource: where, field: 'match', message: 'a node group needs "match" with id, cluster and/or metadata' });
    return undefined;
  }
  const match: { id?: string; cluster?: string; metadata?: Record<string, string> } = {};
  for (const key of ['id', 'cluster'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') {
      problems.push({ file, resource: where, field: `match.${key}`, message: 'expected a regular expression string' });
      return undefined;
    }
    try {
      new RegExp(v);
    } catch (err) {
      problems.push({ file, resource: where, field: `match.${key}`, message: `invalid regular expression ${excerpt(v)}: ${regexpReason(err as Error, v)}` });
      return undefined;
    }
    match[key] = v;
  }
  if (raw['metadata'] !== undefined) {
    const md = raw['metadata'];
    if (!isObject(md) || !Object.values(md).every((v) => typeof v === 'string')) {
      problems.push({ file, resource: where, field: 'match.metadata', message: 'expected a mapping of string keys to string values' });
      return undefined;
    }
    match.metadata = md as Record<string, string>;
  }
  return match;
}

/** V8 writes `Invalid regular expression: /PATTERN/: reason`; the pattern is already excerpted by the caller. */
function regexpReason(err: Error, pattern: string): string {
  const prefix = `Invalid regular expression: /${pattern}/`;
  const rest = err.message.startsWith(prefix) ? err.message.slice(prefix.length).replace(/^[a-z]*: /, '') : err.message;
  return libraryMessage(rest);
}

function readResourceList(list: unknown, listPath: string, group: string, file: string, resources: RawResource[], problems: ConfigProblem[]): void {
  if (!Array.isArray(list)) {
    problems.push({ file, field: listPath, message: 'expected a list of resources, each with "@type"' });
    return;
  }
  list.forEach((item: unknown, i) => {
    const where = `${listPath}[${i}]`;
    if (!isObject(item)) {
      problems.push({ file, resource: where, message: 'expected a resource object with "@type"' });
      return;
    }
    const type = item['@type'];
    if (typeof type !== 'string' || type === '') {
      problems.push({ file, resource: where, field: '@type', message: 'every resource needs "@type", e.g. "type.googleapis.com/envoy.config.cluster.v3.Cluster"' });
      return;
    }
    const typeUrl = type.includes('/') ? type : TYPE_URL_PREFIX + type;
    const body: Record<string, unknown> = {};
    for (const k of Object.keys(item)) if (k !== '@type') body[k] = item[k];
    resources.push({ typeUrl, body, file, location: where, group });
  });
}

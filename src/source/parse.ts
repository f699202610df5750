/**
 * @module source/parse
 * Config text (YAML or JSON, one or more documents) → raw resources and node
 * groups. Runs inside the encode workers so a large file never blocks the
 * event loop. Every problem names the file, the resource and the field.
 *
 * Accepted document shape:
 *   resources: [ {"@type": ..., ...}, ... ]         # served to every node
 *   node_groups:                                     # optional
 *     - name: canary
 *       match: { id: "canary-.*", cluster: "...", metadata: { k: v } }
 *       resources: [ ... ]                           # layered over the defaults
 */
import { parseAllDocuments } from 'yaml';
import { TYPE_URL_PREFIX } from '../xds/type-urls';
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

/** Parse the text of one file. `file` is used only in messages. */
export function parseConfigText(text: string, file: string): ParsedConfig {
  const out: ParsedConfig = { resources: [], groups: [], problems: [] };
  if (file.toLowerCase().endsWith('.json')) {
    // JSON gets JSON.parse: its own error messages, and ~10x faster than YAML on big meshes.
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      out.problems.push({ file, message: `invalid JSON: ${(err as Error).message}` });
      return out;
    }
    readDocument(value, file, undefined, out);
    return out;
  }
  let docs;
  try {
    docs = parseAllDocuments(text, { prettyErrors: true });
  } catch (err) {
    out.problems.push({ file, message: `cannot parse: ${(err as Error).message}` });
    return out;
  }
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, docIndex) => {
    const docLabel = list.length > 1 ? `document ${docIndex + 1}` : undefined;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) out.problems.push({ file, resource: docLabel, message: `syntax error: ${e.message.split('\n')[0]}` });
      return;
    }
    readDocument(doc.toJS({ maxAliasCount: 1000 }), file, docLabel, out);
  });
  return out;
}

/** One parsed document: a registered dialect's form, or the standard `resources:` form. */
function readDocument(value: unknown, file: string, docLabel: string | undefined, out: ParsedConfig): void {
  if (value === null || value === undefined) return; // empty document
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
  readStandardDocument(value, file, out.resources, out.groups, out.problems);
}

function readStandardDocument(
  doc: Record<string, unknown>,
  file: string,
  resources: RawResource[],
  groups: NodeGroupSpec[],
  problems: ConfigProblem[],
): void {
  for (const key of Object.keys(doc)) {
    if (key !== 'resources' && key !== 'node_groups' && key !== 'nodeGroups') {
      problems.push({ file, field: key, message: `unknown top-level key "${key}"; expected "resources" and optionally "node_groups"` });
    }
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
      problems.push({ file, resource: where, field: `match.${key}`, message: `invalid regular expression: ${(err as Error).message}` });
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

function readResourceList(
  list: unknown,
  listPath: string,
  group: string,
  file: string,
  resources: RawResource[],
  problems: ConfigProblem[],
): void {
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

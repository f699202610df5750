/**
 * @module transport/node-matcher
 * `envoy.type.matcher.v3.NodeMatcher` (what a CSDS request filters nodes
 * with) compiled into a predicate: node id by StringMatcher, node metadata by
 * StructMatcher/ValueMatcher, with Envoy's semantics (StringMatcher
 * docs: https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/string.proto).
 *
 * The request arrives as a decoded protobufjs message (or its `toObject`
 * form without defaults): a oneof's case is the member that is present as an
 * own property. Reading members by `typeof` would not do: a decoded message
 * inherits `exact = ""` from its prototype whatever case was sent.
 *
 * Regular expressions run on RE2 (re2js): linear time in the input, so a
 * pattern like `(a+)+` cannot stall the event loop; RE2 refuses
 * backreferences and lookaround, as Envoy does.
 */
import { RE2JS } from 're2js';
import type { NodeInfo } from '../stream';

/** Longest `safe_regex` accepted, in characters (RE2 compile time and memory grow with it). */
export const MAX_REGEX_CHARS = 1_024;
/** Matchers of every kind one request may hold in total (each is evaluated against every node). */
export const MAX_MATCHER_ELEMENTS = 1_000;
/** Deepest nesting of list/or value matchers. */
export const MAX_MATCHER_DEPTH = 16;

/** A compiled node filter, or why the request's matchers were refused. */
export type NodeMatcherResult = { readonly ok: true; readonly value: (node: NodeInfo) => boolean } | { readonly ok: false; readonly error: string };

type Msg = Record<string, unknown>;
type Json = unknown;

/** Thrown inside compilation; becomes `{ok: false}` at the boundary below. */
class MatcherError extends Error {}

function present(msg: Msg, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(msg, key) && msg[key] !== null && msg[key] !== undefined;
}

function asMsg(value: unknown, what: string): Msg {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MatcherError(`${what} must be a message`);
  return value as Msg;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

class Compiler {
  #elements = 0;

  #count(): void {
    if (++this.#elements > MAX_MATCHER_ELEMENTS) {
      throw new MatcherError(`more than ${MAX_MATCHER_ELEMENTS} matchers in one request; split it into several requests`);
    }
  }

  /** `envoy.type.matcher.v3.StringMatcher`. */
  string(raw: unknown, what: string): (value: string) => boolean {
    this.#count();
    const m = asMsg(raw, what);
    const ignoreCase = m['ignoreCase'] === true;
    const fold = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
    if (present(m, 'exact')) {
      const want = fold(str(m['exact']));
      return (v) => fold(v) === want;
    }
    for (const kind of ['prefix', 'suffix', 'contains'] as const) {
      if (!present(m, kind)) continue;
      const want = fold(str(m[kind]));
      if (want === '') throw new MatcherError(`${what}.${kind} must not be empty`);
      if (kind === 'prefix') return (v) => fold(v).startsWith(want);
      if (kind === 'suffix') return (v) => fold(v).endsWith(want);
      return (v) => fold(v).includes(want);
    }
    if (present(m, 'safeRegex')) {
      // Envoy: ignore_case has no effect on safe_regex (use (?i) in the pattern).
      const regex = str(asMsg(m['safeRegex'], `${what}.safe_regex`)['regex']);
      if (regex === '') throw new MatcherError(`${what}.safe_regex.regex must not be empty`);
      if (regex.length > MAX_REGEX_CHARS) throw new MatcherError(`${what}.safe_regex.regex is ${regex.length} characters; at most ${MAX_REGEX_CHARS} are accepted`);
      let compiled: RE2JS;
      try {
        compiled = RE2JS.compile(regex);
      } catch (err) {
        throw new MatcherError(`${what}.safe_regex.regex is not a valid RE2 expression: ${(err as Error).message}`);
      }
      return (v) => compiled.matches(v); // a full match, as Envoy's safe_regex
    }
    if (present(m, 'custom')) throw new MatcherError(`${what}.custom (extension string matchers) is not supported; use exact, prefix, suffix, contains or safe_regex`);
    throw new MatcherError(`${what} sets no match pattern; set one of exact, prefix, suffix, contains or safe_regex`);
  }

  /** `envoy.type.matcher.v3.ValueMatcher` against a JSON value (undefined = absent). */
  value(raw: unknown, what: string, depth: number): (v: Json) => boolean {
    this.#count();
    if (depth > MAX_MATCHER_DEPTH) throw new MatcherError(`${what} nests value matchers deeper than ${MAX_MATCHER_DEPTH}`);
    const m = asMsg(raw, what);
    if (present(m, 'nullMatch')) return (v) => v === null;
    if (present(m, 'doubleMatch')) {
      const d = asMsg(m['doubleMatch'], `${what}.double_match`);
      if (present(d, 'exact')) {
        const want = Number(d['exact']);
        return (v) => typeof v === 'number' && v === want;
      }
      if (present(d, 'range')) {
        const r = asMsg(d['range'], `${what}.double_match.range`);
        const start = Number(r['start'] ?? 0);
        const end = Number(r['end'] ?? 0);
        return (v) => typeof v === 'number' && v >= start && v < end; // [start, end), as DoubleRange says
      }
      throw new MatcherError(`${what}.double_match sets neither exact nor range`);
    }
    if (present(m, 'stringMatch')) {
      const s = this.string(m['stringMatch'], `${what}.string_match`);
      return (v) => typeof v === 'string' && s(v);
    }
    if (present(m, 'boolMatch')) {
      const want = m['boolMatch'] === true;
      return (v) => typeof v === 'boolean' && v === want;
    }
    if (present(m, 'presentMatch')) {
      // Envoy: matches only when present_match is true and the value is set.
      const want = m['presentMatch'] === true;
      return (v) => want && v !== undefined;
    }
    if (present(m, 'listMatch')) {
      const l = asMsg(m['listMatch'], `${what}.list_match`);
      if (!present(l, 'oneOf')) throw new MatcherError(`${what}.list_match sets no one_of`);
      const one = this.value(l['oneOf'], `${what}.list_match.one_of`, depth + 1);
      return (v) => Array.isArray(v) && v.some(one);
    }
    if (present(m, 'orMatch')) {
      const list = asMsg(m['orMatch'], `${what}.or_match`)['valueMatchers'];
      const items = Array.isArray(list) ? list : [];
      if (items.length < 2) throw new MatcherError(`${what}.or_match needs at least 2 value_matchers`);
      const any = items.map((item, i) => this.value(item, `${what}.or_match.value_matchers[${i}]`, depth + 1));
      return (v) => any.some((f) => f(v));
    }
    throw new MatcherError(`${what} sets no match pattern`);
  }

  /** `envoy.type.matcher.v3.StructMatcher` against node metadata (as JSON). */
  struct(raw: unknown, what: string): (metadata: Readonly<Record<string, unknown>>) => boolean {
    this.#count();
    const m = asMsg(raw, what);
    const segments = Array.isArray(m['path']) ? (m['path'] as unknown[]) : [];
    if (segments.length === 0) throw new MatcherError(`${what}.path needs at least one segment`);
    const keys = segments.map((seg, i) => {
      const key = str(asMsg(seg, `${what}.path[${i}]`)['key']);
      if (key === '') throw new MatcherError(`${what}.path[${i}].key must not be empty`);
      return key;
    });
    if (!present(m, 'value')) throw new MatcherError(`${what}.value is required`);
    const match = this.value(m['value'], `${what}.value`, 0);
    return (metadata) => {
      let at: Json = metadata;
      for (const key of keys) {
        if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.prototype.hasOwnProperty.call(at, key)) return match(undefined);
        at = (at as Record<string, unknown>)[key];
      }
      return match(at);
    };
  }

  /** `envoy.type.matcher.v3.NodeMatcher`: node id and every metadata matcher must match. */
  node(raw: unknown, what: string): (node: NodeInfo) => boolean {
    const m = asMsg(raw, what);
    const id = present(m, 'nodeId') ? this.string(m['nodeId'], `${what}.node_id`) : undefined;
    const metas = (Array.isArray(m['nodeMetadatas']) ? (m['nodeMetadatas'] as unknown[]) : []).map((s, i) => this.struct(s, `${what}.node_metadatas[${i}]`));
    return (node) => (id === undefined || id(node.id)) && metas.every((f) => f(node.metadata));
  }
}

/**
 * Compile a request's `node_matchers`: a node is selected if any matcher
 * matches it (CSDS's OR semantics), or always when the list is empty.
 */
export function compileNodeMatchers(matchers: unknown): NodeMatcherResult {
  const list = Array.isArray(matchers) ? matchers : [];
  if (list.length === 0) return { ok: true, value: () => true };
  try {
    const compiler = new Compiler();
    const compiled = list.map((m, i) => compiler.node(m, `node_matchers[${i}]`));
    return { ok: true, value: (node) => compiled.some((f) => f(node)) };
  } catch (err) {
    if (err instanceof MatcherError) return { ok: false, error: err.message };
    throw err;
  }
}

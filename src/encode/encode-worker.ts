/**
 * @module encode/encode-worker
 * piscina worker entry: parse config text, check each resource against its
 * proto, encode it once, hash it, and pre-build the bytes every response
 * will reuse. Results go back in one moved ArrayBuffer.
 *
 * Imports only leaf modules: xds/, observe/excerpt, source/parse (pure), and encode helpers.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { loadProtoRoot, lookupMessage } from '../xds/proto-root';
import { messageNameOf } from '../xds/type-urls';
import { resourceTypeOf } from '../xds/resource-types';
import { encodeAny, lengthDelimited, stringField } from '../xds/wire';
import { parseConfigText } from '../source/parse';
import { bareExcerpt, excerpt, libraryMessage, NAME_MAX_CHARS } from '../observe/excerpt';
import '../source/dialects';
import { parseResourceText } from '../source/resource-text';
import type { ConfigProblem, NodeGroupSpec, RawResource } from '../source/raw-resource';
import { contentVersion } from './content-hash';
import { EncodedByContent } from './encoded-by-content';
import { canonicalResourceJson } from './canonical-json';
import { ProtoJsonConverter } from './proto-json';
import { aliasesOf, referencesOf } from './references';
import type { EncodeTask, EncodeTaskResult, EncodedMeta } from './messages';

const root = loadProtoRoot();
const converter = new ProtoJsonConverter(root);

interface Encoded {
  meta: Omit<EncodedMeta, 'sotwOffset' | 'sotwLength' | 'deltaOffset' | 'deltaLength'>;
  sotwEntry: Buffer;
  deltaEntry: Buffer;
}

/** This worker thread's memo of encoded results; its lifetime and bound: encoded-by-content.ts. */
const byContent = new EncodedByContent<Encoded>();
/** Resources encoded (not found in byContent) by the current task. */
let freshCount = 0;

/** Problems returned per task: a large file of wrong resources must not send back (and log) millions. */
const MAX_PROBLEMS_PER_TASK = 1000;

/** encodeOne with a content cache; location metadata always comes from `raw`. */
function encodeCached(raw: RawResource, problems: ConfigProblem[]): Encoded | undefined {
  const key = EncodedByContent.keyOf(raw.typeUrl, raw.body);
  const hit = byContent.get(key);
  if (hit) return { ...hit, meta: { ...hit.meta, group: raw.group, file: raw.file, location: raw.location } };
  const fresh = encodeOne(raw, problems);
  freshCount++;
  if (fresh) byContent.set(key, fresh);
  return fresh;
}

/** Validate and encode one raw resource, or describe why not. */
export function encodeOne(raw: RawResource, problems: ConfigProblem[]): Encoded | undefined {
  const problemAt = (field: string | undefined, message: string): undefined => {
    problems.push({ file: raw.file, resource: raw.location, field, message });
    return undefined;
  };
  const messageName = messageNameOf(raw.typeUrl);
  const type = lookupMessage(root, messageName);
  if (!type) return problemAt('@type', `unknown type ${excerpt(raw.typeUrl)}: no loaded Envoy proto defines ${bareExcerpt(messageName)}`);

  const nameField = resourceTypeOf(raw.typeUrl).nameField;
  const rawName = raw.body[nameField] ?? raw.body[nameField.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())];
  const label = typeof rawName === 'string' && rawName !== '' ? `${raw.location} (${bareExcerpt(rawName, NAME_MAX_CHARS)})` : raw.location;
  const { value, errors } = converter.convert(type, raw.body, '');
  if (errors.length > 0) {
    for (const e of errors) problems.push({ file: raw.file, resource: label, field: e.field || undefined, message: e.message });
    return undefined;
  }
  if (typeof rawName !== 'string' || rawName === '') return problemAt(nameField, `every ${type.name} needs a non-empty "${nameField}"`);

  let messageBytes: Uint8Array;
  try {
    messageBytes = converter.encode(type, value);
  } catch (err) {
    return problemAt(undefined, `cannot encode: ${libraryMessage((err as Error).message)}`);
  }
  const anyBytes = encodeAny(raw.typeUrl, messageBytes);
  const version = contentVersion(anyBytes);
  // Resource { version = 1; resource = 2; name = 3 } for delta responses.
  const resourceMsg = Buffer.concat([stringField(1, version), lengthDelimited(2, anyBytes), stringField(3, rawName)]);
  return {
    meta: {
      typeUrl: raw.typeUrl,
      name: rawName,
      version,
      group: raw.group,
      file: raw.file,
      location: raw.location,
      refs: referencesOf(raw.typeUrl, raw.body),
      aliases: aliasesOf(raw.typeUrl, rawName, raw.body),
    },
    sotwEntry: lengthDelimited(2, anyBytes),
    deltaEntry: lengthDelimited(2, resourceMsg),
  };
}

/** Config bytes as text; a file that is not UTF-8 (a binary behind the config path) is a problem, not mojibake in messages. */
function decodeUtf8(bytes: Uint8Array, file: string, problems: ConfigProblem[]): string | undefined {
  try {
    // fatal: reject invalid UTF-8; the BOM some editors write is dropped (JSON.parse would choke on it).
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    problems.push({ file, message: 'not UTF-8 text; a config file is YAML or JSON in UTF-8', refusal: 'not_a_config' });
    return undefined;
  }
}

/** piscina entry point. */
export default function run(task: EncodeTask): EncodeTaskResult {
  const problems: ConfigProblem[] = [];
  const groups: NodeGroupSpec[] = [];
  freshCount = 0;
  const raws: RawResource[] = [...(task.resources ?? [])];
  for (const doc of task.documents ?? []) {
    const text = 'text' in doc ? doc.text : decodeUtf8(doc.bytes, doc.file, problems);
    if (text === undefined) continue;
    const parsed = parseConfigText(text, doc.file);
    raws.push(...parsed.resources);
    groups.push(...parsed.groups);
    problems.push(...parsed.problems);
  }
  for (const text of task.texts ?? []) {
    const parsed = parseResourceText(text);
    if (parsed.resource) raws.push(parsed.resource);
    problems.push(...parsed.problems);
  }
  const encoded: Encoded[] = [];
  for (const raw of raws) {
    const e = encodeCached(raw, problems);
    if (e && task.withSource) {
      const json = canonicalResourceJson(raw.typeUrl, raw.body);
      if (!json.ok) problems.push({ file: raw.file, resource: `${raw.location} (${e.meta.name})`, field: json.field || undefined, message: json.message });
      else encoded.push({ ...e, meta: { ...e.meta, source: json.text } });
    } else if (e) encoded.push(e);
  }
  let total = 0;
  for (const e of encoded) total += e.sotwEntry.length + e.deltaEntry.length;
  const data = new ArrayBuffer(total);
  const view = new Uint8Array(data);
  const metas: EncodedMeta[] = [];
  let offset = 0;
  for (const e of encoded) {
    view.set(e.sotwEntry, offset);
    const sotwOffset = offset;
    offset += e.sotwEntry.length;
    view.set(e.deltaEntry, offset);
    const deltaOffset = offset;
    offset += e.deltaEntry.length;
    metas.push({ ...e.meta, sotwOffset, sotwLength: e.sotwEntry.length, deltaOffset, deltaLength: e.deltaEntry.length });
  }
  if (problems.length > MAX_PROBLEMS_PER_TASK) {
    const dropped = problems.length - MAX_PROBLEMS_PER_TASK;
    const last = problems[MAX_PROBLEMS_PER_TASK - 1];
    problems.length = MAX_PROBLEMS_PER_TASK;
    problems.push({ file: last?.file ?? '(batch)', message: `${dropped} more problems not listed; fix the ones above first` });
  }
  const result: EncodeTaskResult = { metas, groups, problems, data, freshlyEncoded: freshCount };
  // piscina transfers the listed buffers instead of structured-cloning them.
  return move({
    get [transferableSymbol]() {
      return [data];
    },
    get [valueSymbol]() {
      return result;
    },
  }) as unknown as EncodeTaskResult;
}

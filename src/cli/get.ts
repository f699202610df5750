/**
 * @module cli/get
 * `fanout-xds get [TYPE [NAME]] [--group G] [--output yaml|json]`: what etcd
 * holds, as a config file the server and `apply` read (resources, then
 * node_groups with their match and resources), or one resource with TYPE
 * and NAME. Sensitive fields (private keys and other secrets) are redacted
 * (xds/redact-json), so the output of a configuration holding Secrets does
 * not apply back as is.
 */
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { EtcdWriter, orderedGroups } from '../apply';
import type { EtcdEntry } from '../apply';
import { DEFAULT_GROUP } from '../source';
import { DEFAULT_GROUP_SEGMENT } from '../source/etcd-keys';
import { loadProtoRoot } from '../xds/proto-root';
import { JsonRedactor } from '../xds/redact-json';
import { TYPE_NAME_EXAMPLES } from '../xds/type-names';
import { typeLabel } from '../xds/resource-types';
import { XdsServerError } from '../errors';
import { ETCD_HELP, ETCD_OPTIONS, etcdTarget } from './etcd-flags';
import { UsageError } from './usage';
import { resolveType } from './type-arg';

export const GET_HELP = `fanout-xds get: print the configuration in etcd

Usage: fanout-xds get [TYPE [NAME]] [options]

  TYPE                          only this type: ${TYPE_NAME_EXAMPLES}
  NAME                          only this resource (printed on its own)
  --group G                     only this node group (${DEFAULT_GROUP_SEGMENT}: every node's resources)
  --output yaml|json            output format (default yaml)
${ETCD_HELP}  -h, --help                    show this help

Without NAME the output is a config file (resources, node_groups) that apply reads back,
except that sensitive fields such as private keys are shown as "[redacted]".
Keys whose value does not read back are listed on stderr and skipped.

Exit codes: 0 printed, 1 not found or failed, 2 usage.
`;

type Json = Record<string, unknown>;
type ResourceEntry = Extract<EtcdEntry, { kind: 'resource' }>;

function render(value: unknown, output: string, header: string): string {
  return output === 'json' ? `${JSON.stringify(value, null, 2)}\n` : `# ${header}\n${toYaml(value, { lineWidth: 0 })}`;
}

/** Run `get` with its arguments; resolves with the exit code. */
export async function runGet(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { ...ETCD_OPTIONS, group: { type: 'string' }, output: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(GET_HELP);
    return 0;
  }
  const [typeArg, name, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError('get takes at most TYPE and NAME', GET_HELP);
  const output = values.output ?? 'yaml';
  if (output !== 'yaml' && output !== 'json') throw new UsageError(`--output must be yaml or json, got "${output}"`, GET_HELP);
  const typeUrl = typeArg === undefined ? undefined : resolveType(typeArg, GET_HELP);
  const group = values.group === undefined ? undefined : values.group === DEFAULT_GROUP_SEGMENT ? DEFAULT_GROUP : values.group;
  const target = etcdTarget(values, GET_HELP);

  const writer = new EtcdWriter(target);
  let config;
  try {
    config = await writer.read();
  } finally {
    await writer.close();
  }
  const redactor = new JsonRedactor(loadProtoRoot());
  const show = (e: ResourceEntry): Json => redactor.redact({ '@type': e.raw.typeUrl, ...e.raw.body });
  const header = `etcd revision ${config.revision}, prefix ${writer.layout.prefix}`;
  const resources: ResourceEntry[] = [];
  const groups: Extract<EtcdEntry, { kind: 'group' }>[] = [];
  for (const e of config.entries) {
    if (e.kind === 'resource') resources.push(e);
    else if (e.kind === 'group') groups.push(e);
    else if (e.kind === 'invalid') for (const p of e.problems) process.stderr.write(`fanout-xds get: skipped ${e.key}: ${p.field ? `${p.field}: ` : ''}${p.message}\n`);
    else process.stderr.write(`fanout-xds get: skipped ${e.key}: not a resource or node group key\n`);
  }
  const wanted = resources.filter((e) => (typeUrl === undefined || e.id.typeUrl === typeUrl) && (group === undefined || e.id.group === group));

  if (name !== undefined && typeUrl !== undefined) {
    const inGroup = group ?? DEFAULT_GROUP;
    const found = wanted.find((e) => e.id.name === name && e.id.group === inGroup);
    if (!found) {
      throw new XdsServerError(
        'XDS_ERR_NOT_FOUND',
        `${typeLabel(typeUrl)} "${name}" (group ${inGroup === DEFAULT_GROUP ? DEFAULT_GROUP_SEGMENT : inGroup}) is not in etcd under ${writer.layout.prefix}`,
      );
    }
    process.stdout.write(render(show(found), output, header));
    return 0;
  }

  const doc: Json = {};
  if (group === undefined || group === DEFAULT_GROUP) doc['resources'] = wanted.filter((e) => e.id.group === DEFAULT_GROUP).map(show);
  const nodeGroups: Json[] = [];
  for (const spec of orderedGroups(groups)) {
    if (group !== undefined && spec.name !== group) continue;
    const own = wanted.filter((e) => e.id.group === spec.name).map(show);
    if (typeUrl !== undefined && own.length === 0) continue;
    nodeGroups.push({ name: spec.name, match: spec.match, resources: own });
  }
  if (nodeGroups.length > 0) doc['node_groups'] = nodeGroups;
  const defined = new Set(groups.map((g) => g.spec.name));
  for (const orphan of new Set(wanted.map((e) => e.id.group).filter((g) => g !== DEFAULT_GROUP && !defined.has(g)))) {
    process.stderr.write(`fanout-xds get: skipped resources of node group "${orphan}": etcd has no ${writer.layout.groups}${orphan} key defining it\n`);
  }
  process.stdout.write(render(doc, output, header));
  return 0;
}

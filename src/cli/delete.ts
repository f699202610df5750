/**
 * @module cli/delete
 * `fanout-xds delete TYPE NAME [--group G]` and `fanout-xds delete group
 * NAME`: the current state in etcd minus that resource (or node group and
 * its resources), validated like an apply, so a delete that would leave a
 * dangling reference is refused; written in one guarded transaction.
 */
import { parseArgs } from 'node:util';
import { EtcdWriter } from '../apply';
import type { DeleteSelection } from '../apply';
import { DEFAULT_GROUP } from '../source';
import { DEFAULT_GROUP_SEGMENT } from '../source/etcd-keys';
import { ETCD_HELP, ETCD_OPTIONS, etcdTarget } from './etcd-flags';
import { UsageError } from './usage';
import { resolveType } from './type-arg';
import { reportWrite } from './write-report';
import type { WriteOutput } from './write-report';
import { TYPE_NAME_EXAMPLES } from '../xds/type-names';

export const DELETE_HELP = `fanout-xds delete: remove one resource (or a node group) from etcd

Usage: fanout-xds delete TYPE NAME [options]
       fanout-xds delete group NAME [options]     a node group and every resource in it

  TYPE                          ${TYPE_NAME_EXAMPLES}
  --group G                     the resource's node group (default: ${DEFAULT_GROUP_SEGMENT}, every node's)
  --dry-run                     print what would be removed; write nothing
  --allow-dangling-references   accept leaving references to the removed resource dangling
  --output text|json            how to report the result (default text)
${ETCD_HELP}  -h, --help                    show this help

The state left in etcd is validated as apply validates it: removing a resource that another
still references is refused. The delete is one guarded transaction, like apply.

Exit codes: 0 deleted (or --dry-run), 1 refused, not found or failed (nothing written), 2 usage.
`;

/** Run `delete` with its arguments; resolves with the exit code. */
export async function runDelete(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      ...ETCD_OPTIONS,
      group: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'allow-dangling-references': { type: 'boolean' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(DELETE_HELP);
    return 0;
  }
  const [type, name, ...extra] = positionals;
  if (type === undefined || name === undefined || extra.length > 0) throw new UsageError('delete needs TYPE and NAME (or: group NAME)', DELETE_HELP);
  const output = (values.output ?? 'text') as WriteOutput;
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, got "${values.output}"`, DELETE_HELP);
  let selection: DeleteSelection;
  if (type === 'group') {
    if (values.group !== undefined) throw new UsageError('delete group NAME takes no --group', DELETE_HELP);
    selection = { nodeGroup: name };
  } else {
    const group = values.group === undefined || values.group === DEFAULT_GROUP_SEGMENT ? DEFAULT_GROUP : values.group;
    selection = { typeUrl: resolveType(type, DELETE_HELP), name, group };
  }
  const writer = new EtcdWriter(etcdTarget(values, DELETE_HELP), { allowDanglingReferences: values['allow-dangling-references'] ?? false });
  try {
    return reportWrite(await writer.remove(selection, { dryRun: values['dry-run'] ?? false }), output, process.stdout);
  } finally {
    await writer.close();
  }
}

/**
 * @module cli/delete
 * `fanout-xds delete TYPE NAME [--group G]` and `fanout-xds delete group
 * NAME`: the current state in etcd minus that resource (or node group and
 * its resources), validated like an apply, so a delete that would leave a
 * dangling reference is refused; written in one guarded transaction.
 */
import type { DeleteSelection } from '../apply';
import { DEFAULT_GROUP } from '../source';
import { DEFAULT_GROUP_SEGMENT } from '../source/etcd-keys';
import { ETCD_HELP } from './etcd-flags';
import { UsageError } from './usage';
import { resolveType } from './type-arg';
import { parseWriteCommand, reportWrite } from './write-report';
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
  const cmd = parseWriteCommand('delete', args, DELETE_HELP, (positionals) => {
    if (positionals.length !== 2) throw new UsageError('delete needs TYPE and NAME (or: group NAME)', DELETE_HELP);
  });
  if (!cmd) return 0;
  const [type = '', name = ''] = cmd.positionals;
  let selection: DeleteSelection;
  if (type === 'group') {
    if (cmd.group !== undefined) throw new UsageError('delete group NAME takes no --group', DELETE_HELP);
    selection = { nodeGroup: name };
  } else {
    const group = cmd.group === undefined || cmd.group === DEFAULT_GROUP_SEGMENT ? DEFAULT_GROUP : cmd.group;
    selection = { typeUrl: resolveType(type, DELETE_HELP), name, group };
  }
  const writer = cmd.openWriter();
  try {
    return reportWrite(await writer.remove(selection, { dryRun: cmd.dryRun }), cmd.output, process.stdout);
  } finally {
    await writer.close();
  }
}

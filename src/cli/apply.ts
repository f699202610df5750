/**
 * @module cli/apply
 * `fanout-xds apply PATH… [--prune] [--dry-run]`: read config files (the
 * formats the server reads, short form included), validate and encode them
 * with the server's code, and write the difference to etcd in one guarded
 * transaction (apply/etcd-writer).
 */
import { readConfigDocuments } from '../source';
import type { ConfigFile } from '../source';
import { ConfigInvalidError } from '../errors';
import { ETCD_HELP } from './etcd-flags';
import { UsageError } from './usage';
import { parseWriteCommand, reportWrite } from './write-report';
import { parseDuration } from './duration';
import { waitForRollout } from './rollout-wait';
import { etcdLayout } from '../source/etcd-keys';

export const APPLY_HELP = `fanout-xds apply: write config files to etcd, as one transaction

Usage: fanout-xds apply PATH... [options]

  PATH                          a YAML/JSON config file or a directory of them (*.yaml, *.yml, *.json),
                                in any format the server reads (full resources, node_groups, the short form)

  --prune                       also remove keys the files no longer define (default: only add and change)
  --dry-run                     print the difference (+ added, ~ changed, - removed); write nothing; exit 0
  --allow-dangling-references   accept a state whose only fault is dangling references
                                (only if the replicas run with --allow-dangling-references too)
  --output text|json            how to report the result (default text)
  --wait DURATION               after writing, wait until every connected node of every live replica
                                has ACKed the applied revision (500ms, 10s, 2m; a bare number is seconds).
                                Fails (exit 1) when a node NACKs it, naming node, resource and error, when
                                a replica rejects it, or when time runs out, naming what is not in sync.
                                Ignored with --dry-run. README "Rollout status".
${ETCD_HELP}  -h, --help                    show this help

The files are validated exactly as the server validates a file reload; the whole state etcd
will hold afterwards is checked (references included). Resources compare by content hash, so a
reformatted file rewrites nothing. The write is one etcd transaction that fails, writing nothing,
if anything under the prefix changed since apply read it. A large apply needs raised etcd limits:
start etcd with --max-txn-ops and --max-request-bytes and pass the same values here.

Exit codes: 0 applied (or nothing to do, or --dry-run), and with --wait every node in sync;
1 rejected or failed (nothing written), or with --wait a NACK, a rejecting replica or the time ran out; 2 usage.
`;

async function readPaths(paths: readonly string[]): Promise<ConfigFile[]> {
  const documents: ConfigFile[] = [];
  for (const p of paths) {
    try {
      documents.push(...(await readConfigDocuments(p)));
    } catch (err) {
      // The message a file reload gives for an unreadable config path.
      throw new ConfigInvalidError([{ file: p, message: `cannot read: ${(err as Error).message}` }]);
    }
  }
  return documents;
}

/** Run `apply` with its arguments; resolves with the exit code. */
export async function runApply(args: readonly string[]): Promise<number> {
  const cmd = parseWriteCommand('apply', args, APPLY_HELP, (positionals) => {
    if (positionals.length === 0) throw new UsageError('apply needs at least one config file or directory', APPLY_HELP);
  });
  if (!cmd) return 0;
  const waitMs = cmd.wait === undefined ? undefined : parseDuration(cmd.wait);
  if (cmd.wait !== undefined && waitMs === undefined) throw new UsageError(`--wait must be a duration like 500ms, 10s, 2m or a number of seconds, got "${cmd.wait}"`, APPLY_HELP);
  if (waitMs !== undefined && cmd.dryRun) process.stderr.write('--wait is ignored with --dry-run: nothing is written, so there is nothing to wait for\n');
  const documents = await readPaths(cmd.positionals);
  const writer = cmd.openWriter();
  let code: number;
  let revision: number | undefined;
  try {
    const result = await writer.apply({ documents }, { prune: cmd.prune, dryRun: cmd.dryRun });
    code = reportWrite(result, cmd.output, process.stdout);
    revision = result.ok && result.committed ? result.revision : undefined;
  } finally {
    await writer.close();
  }
  if (waitMs === undefined || cmd.dryRun || code !== 0) return code;
  return waitForRollout({
    connection: cmd.target,
    layout: etcdLayout(cmd.target.prefix),
    revision,
    timeoutMs: waitMs,
    json: cmd.output === 'json',
    out: process.stdout,
    err: process.stderr,
  });
}

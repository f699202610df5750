/**
 * @module cli/apply
 * `fanout-xds apply PATH… [--prune] [--dry-run]`: read config files (the
 * formats the server reads, short form included), validate and encode them
 * with the server's code, and write the difference to etcd in one guarded
 * transaction (apply/etcd-writer).
 */
import { parseArgs } from 'node:util';
import { readConfigDocuments } from '../source';
import type { ConfigFile } from '../source';
import { ConfigInvalidError } from '../errors';
import { EtcdWriter } from '../apply';
import { ETCD_HELP, ETCD_OPTIONS, etcdTarget } from './etcd-flags';
import { UsageError } from './usage';
import { reportWrite } from './write-report';
import { parseDuration } from './duration';
import { waitForRollout } from './rollout-wait';
import { etcdLayout } from '../source/etcd-keys';
import type { WriteOutput } from './write-report';

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
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      ...ETCD_OPTIONS,
      prune: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'allow-dangling-references': { type: 'boolean' },
      output: { type: 'string' },
      wait: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(APPLY_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('apply needs at least one config file or directory', APPLY_HELP);
  const output = (values.output ?? 'text') as WriteOutput;
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, got "${values.output}"`, APPLY_HELP);
  const waitMs = values.wait === undefined ? undefined : parseDuration(values.wait);
  if (values.wait !== undefined && waitMs === undefined) throw new UsageError(`--wait must be a duration like 500ms, 10s, 2m or a number of seconds, got "${values.wait}"`, APPLY_HELP);
  const dryRun = values['dry-run'] ?? false;
  if (waitMs !== undefined && dryRun) process.stderr.write('--wait is ignored with --dry-run: nothing is written, so there is nothing to wait for\n');
  const target = etcdTarget(values, APPLY_HELP);
  const documents = await readPaths(positionals);
  const writer = new EtcdWriter(target, { allowDanglingReferences: values['allow-dangling-references'] ?? false });
  let code: number;
  let revision: number | undefined;
  try {
    const result = await writer.apply({ documents }, { prune: values.prune ?? false, dryRun });
    code = reportWrite(result, output, process.stdout);
    revision = result.ok && result.committed ? result.revision : undefined;
  } finally {
    await writer.close();
  }
  if (waitMs === undefined || dryRun || code !== 0) return code;
  return waitForRollout({
    endpoints: target.endpoints,
    layout: etcdLayout(target.prefix),
    revision,
    timeoutMs: waitMs,
    json: output === 'json',
    out: process.stdout,
    err: process.stderr,
  });
}

/**
 * @module cli/write-report
 * How `apply` and `delete` report: the difference by type and name (`+`
 * added, `~` changed, `-` removed), then one summary line; or the result
 * as one JSON object with `--output json`. A rejected configuration is the
 * same message a file reload gives (ConfigInvalidError), on stderr.
 * Also the command line both commands share: etcd flags, --dry-run,
 * --allow-dangling-references, --output and --help.
 */
import { parseArgs } from 'node:util';
import { ConfigInvalidError } from '../errors';
import { describePlan, EtcdWriter } from '../apply';
import type { EtcdWriteResult, KeyChange } from '../apply';
import { ETCD_OPTIONS, etcdTarget } from './etcd-flags';
import type { EtcdTarget } from '../apply';
import { UsageError } from './usage';

/** Output format of apply and delete. */
export type WriteOutput = 'text' | 'json';

/** The options where apply and delete differ. */
const OWN_OPTIONS = { apply: { prune: { type: 'boolean' }, wait: { type: 'string' } }, delete: { group: { type: 'string' } } } as const;

/** A parsed apply or delete command line. */
export interface WriteCommand {
  readonly positionals: readonly string[];
  readonly output: WriteOutput;
  readonly dryRun: boolean;
  readonly prune: boolean;
  readonly group: string | undefined;
  /** `apply --wait`, as given (the caller parses the duration). */
  readonly wait: string | undefined;
  /** The etcd the command writes to. */
  readonly target: EtcdTarget;
  /** A writer for the command's etcd target; the caller closes it. */
  openWriter(): EtcdWriter;
}

/**
 * Parse an apply or delete command line; undefined after printing the help
 * for `--help`. `check` runs on the positionals before any etcd client exists.
 */
export function parseWriteCommand(command: keyof typeof OWN_OPTIONS, args: readonly string[], help: string, check: (positionals: readonly string[]) => void): WriteCommand | undefined {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      ...ETCD_OPTIONS,
      ...OWN_OPTIONS.apply,
      ...OWN_OPTIONS.delete,
      'dry-run': { type: 'boolean' },
      'allow-dangling-references': { type: 'boolean' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  for (const foreign of command === 'apply' ? (['group'] as const) : (['prune', 'wait'] as const)) {
    if (values[foreign] !== undefined) throw new UsageError(`${command} takes no --${foreign}`, help);
  }
  if (values.help) {
    process.stdout.write(help);
    return undefined;
  }
  check(positionals);
  const output = (values.output ?? 'text') as WriteOutput;
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, got "${values.output}"`, help);
  const target = etcdTarget(values, help);
  return {
    positionals,
    output,
    dryRun: values['dry-run'] ?? false,
    prune: values.prune ?? false,
    group: values.group,
    wait: values.wait,
    target,
    openWriter: () => new EtcdWriter(target, { allowDanglingReferences: values['allow-dangling-references'] ?? false }),
  };
}

function counts(r: { added: readonly unknown[]; changed: readonly unknown[]; removed: readonly unknown[]; unchanged: number }): string {
  return `${r.added.length} added, ${r.changed.length} changed, ${r.removed.length} removed (${r.unchanged} unchanged)`;
}

function jsonChange(c: KeyChange): Record<string, string> {
  const out: Record<string, string> = { key: c.key, kind: c.kind, name: c.name };
  if (c.typeUrl !== undefined) out['type'] = c.typeUrl;
  if (c.kind === 'resource') out['group'] = c.group;
  return out;
}

/**
 * Print a result; returns the exit code. Throws ConfigInvalidError for a
 * rejected configuration so the caller prints it like every other failure.
 */
export function reportWrite(result: EtcdWriteResult, output: WriteOutput, out: NodeJS.WritableStream): number {
  if (!result.ok) throw new ConfigInvalidError(result.problems);
  if (output === 'json') {
    out.write(
      `${JSON.stringify({
        dryRun: result.dryRun,
        committed: result.committed,
        readRevision: result.readRevision,
        revision: result.revision,
        added: result.added.map(jsonChange),
        changed: result.changed.map(jsonChange),
        removed: result.removed.map(jsonChange),
        unchanged: result.unchanged,
        txn: result.txn,
        ...(result.overLimits !== undefined ? { overLimits: result.overLimits } : {}),
      })}\n`,
    );
    return 0;
  }
  for (const line of describePlan(result)) out.write(`${line}\n`);
  if (result.dryRun) {
    out.write(
      `dry run: ${counts(result)}; nothing written (etcd revision ${result.readRevision}; the write would be one transaction of ${result.txn.ops} operations, about ${result.txn.bytes} bytes)\n`,
    );
    if (result.overLimits !== undefined) out.write(`warning: the real apply would be refused: ${result.overLimits}\n`);
  } else if (!result.committed) {
    out.write(`no changes: etcd already holds this configuration (revision ${result.readRevision}; ${result.unchanged} keys unchanged)\n`);
  } else {
    out.write(`applied ${counts(result)} in one transaction: etcd revision ${result.readRevision} → ${result.revision}\n`);
  }
  return 0;
}

#!/usr/bin/env node
/**
 * @module cli
 * The `fanout-xds` command (package.json `bin`): `serve` runs the server
 * (src/main.ts, what `npm start` runs), `apply`, `get` and `delete` write
 * and read the configuration in etcd, `status` reads the replicas' rollout status. Each command loads only what it
 * needs. Exit codes: 0 success, 1 failure, 2 usage.
 */
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './etcd-flags';

const HELP = `fanout-xds: an xDS management server built for fan-out, and its etcd tools

Usage: fanout-xds <command> [options]

Commands:
  serve     run the xDS server (what npm start runs)
  apply     write config files to etcd as one transaction (--dry-run, --prune, --wait)
  get       print the configuration in etcd
  delete    remove one resource or node group from etcd
  status    rollout status of every live replica: revision, nodes connected / in sync / NACKed

Run fanout-xds <command> --help for a command's options.
`;

type Command = (args: readonly string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => {
    const { serve } = await import('../main');
    // serve resolves once the server is up; the process lives on until a signal.
    return async (args) => {
      await serve(args);
      return 0;
    };
  },
  apply: async () => (await import('./apply')).runApply,
  get: async () => (await import('./get')).runGet,
  delete: async () => (await import('./delete')).runDelete,
  status: async () => (await import('./status')).runStatus,
};

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** Run the command line; resolves with the exit code (undefined: keep running, as `serve` does). */
export async function runCli(argv: readonly string[]): Promise<number | undefined> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(HELP);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`fanout-xds: unknown command "${name}"\n\n${HELP}`);
    return EXIT_USAGE;
  }
  try {
    const code = await (await load())(args);
    return name === 'serve' ? undefined : code;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`fanout-xds ${name}: ${err.message}\n\n${err.help}`);
      return EXIT_USAGE;
    }
    if (isParseArgsError(err)) {
      process.stderr.write(`fanout-xds ${name}: ${(err as Error).message}\nRun fanout-xds ${name} --help for its options.\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`fanout-xds ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    // Let stdout drain (a pipe may be slow) before exiting with the code.
    if (code !== undefined) process.exitCode = code;
  });
}

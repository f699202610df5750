#!/usr/bin/env node
/**
 * @module cli
 * The `fanout-xds` command (package.json `bin`): `serve` runs the server
 * (src/main.ts, what `npm start` runs), `apply`, `get` and `delete` write
 * and read the configuration in etcd, `status` reads the replicas' rollout
 * status. Each command loads only what it needs. Exit codes: 0 success, 1
 * failure, 2 usage (cli/usage.ts); `--version` works before or after any command.
 */
import { EXIT_USAGE, reportCommandError, versionText, wantsVersion } from './usage';

const HELP = `fanout-xds: an xDS management server built for fan-out, and its etcd tools

Usage: fanout-xds <command> [options]

Commands:
  serve     run the xDS server (what npm start runs)
  apply     write config files to etcd as one transaction (--dry-run, --prune, --wait)
  get       print the configuration in etcd
  delete    remove one resource or node group from etcd
  status    rollout status of every live replica: revision, nodes connected / in sync / NACKed

Every command reaches etcd with the same flags: --etcd-endpoints, --etcd-prefix, --etcd-ca,
--etcd-cert, --etcd-key, --etcd-username (password from --etcd-password-file or ETCD_PASSWORD).
Every command reaches etcd with the same flags: --etcd-endpoints, --etcd-prefix, --etcd-ca,
--etcd-cert, --etcd-key, --etcd-username (password from --etcd-password-file or ETCD_PASSWORD).
Run fanout-xds <command> --help for a command's options; --version prints the version.
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

/** Run the command line; resolves with the exit code (undefined: keep running, as `serve` does). */
export async function runCli(argv: readonly string[]): Promise<number | undefined> {
  const [name, ...args] = argv;
  if (wantsVersion(name === undefined ? [] : [name, ...args])) {
    process.stdout.write(versionText());
    return 0;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (name === undefined) {
    process.stderr.write(`fanout-xds: missing command (serve, apply, get, delete)\nRun fanout-xds --help for the commands.\n`);
    return EXIT_USAGE;
  }
  const load = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const hint = name.startsWith('-') ? `fanout-xds: "${name}" is not a command; options go after one (fanout-xds serve ${name})` : `fanout-xds: unknown command "${name}"`;
    process.stderr.write(`${hint}\nRun fanout-xds --help for the commands.\n`);
    return EXIT_USAGE;
  }
  try {
    const code = await (await load())(args);
    return name === 'serve' ? undefined : code;
  } catch (err) {
    return reportCommandError(`fanout-xds ${name}`, err);
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    // Let stdout drain (a pipe may be slow) before exiting with the code.
    if (code !== undefined) process.exitCode = code;
  });
}

// @ts-check
/**
 * Lint for fanout-xds: the box import rules of STYLE.md as
 * `import-x/no-restricted-paths` zones, a ban on `.only` in tests, unused
 * variables, and typescript-eslint's recommended (non-type-aware) rules.
 * No formatting rules: the compiler and review keep the style, and other
 * engineers' new code must pass without reformatting.
 *
 * The data path is source → encode → store → push → stream → transport
 * (STYLE.md writes the allowed direction the other way round:
 * `transport → stream → push → store → encode → source`). A box may import
 * the boxes upstream of it (to its left in the data path), never those
 * downstream; every box may import the leaves `xds/`, `observe/` and
 * `errors.ts`.
 *
 * A zone reads "files in `target` may not import from `from` (unless the
 * path is in `except`)". An import the resolver cannot find is skipped by
 * the rule, so test/unit/tooling/lint-zones.test.ts checks that a
 * forbidden import is really reported.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** The six boxes of the data path, upstream first. */
const DATA_PATH = ['source', 'encode', 'store', 'push', 'stream', 'transport'];

/** Files above the boxes: the CLI, the public API, the composition root and what hangs off it. */
const TOP = [
  'src/main.ts',
  'src/index.ts',
  'src/server.ts',
  'src/server-options.ts',
  'src/server-shutdown.ts',
  'src/admin',
  'src/config-applier.ts',
  'src/api-types.ts',
  'src/apply',
  'src/cli',
  'src/cluster',
  'src/status',
];

const BOXES = DATA_PATH.map((b) => `src/${b}`);
const LEAVES = ['src/xds', 'src/observe', 'src/errors.ts'];

/** @type {{target: string | string[], from: string | string[], except?: string[], message: string}[]} */
const zones = [
  // Data path: no box imports a box downstream of it.
  ...DATA_PATH.slice(0, -1).map((box, i) => ({
    target: `src/${box}`,
    from: DATA_PATH.slice(i + 1).map((b) => `src/${b}`),
    message: `STYLE.md import rules: the data path is ${DATA_PATH.join(' → ')}; src/${box} may not import a box downstream of it. Hear from downstream through an interface defined here (like push/watch.ts).`,
  })),
  // Leaves import nothing else in src (xds/ may import errors.ts).
  {
    target: 'src/xds',
    from: 'src',
    except: ['./xds', './errors.ts'],
    message: 'STYLE.md import rules: src/xds is a leaf; it may import only src/errors.ts.',
  },
  {
    target: 'src/observe',
    from: 'src',
    except: ['./observe', './xds/resource-types.ts'],
    message: 'STYLE.md import rules: src/observe is a leaf; it imports nothing else in src but the resource-type records (xds/resource-types.ts, for type labels).',
  },
  {
    target: 'src/errors.ts',
    from: 'src',
    except: ['./errors.ts'],
    message: 'STYLE.md import rules: src/errors.ts is a leaf; it imports nothing else in src.',
  },
  // No box or leaf imports the top: main.ts, index.ts, server.ts and what only they use.
  {
    target: [...BOXES, ...LEAVES],
    from: TOP.filter((t) => t !== 'src/api-types.ts'),
    message: 'STYLE.md import rules: boxes and leaves never import main.ts, index.ts, server.ts, admin/ or config-applier.ts; take what you need as a parameter.',
  },
  // api-types.ts is the public type vocabulary (option shapes such as StreamLimits, CsdsOptions). It names
  // source/ types only, so the boxes downstream of source may name its types; source and the leaves may not.
  {
    target: 'src/api-types.ts',
    from: 'src',
    except: ['./api-types.ts', './source', './xds', './observe', './errors.ts'],
    message: 'src/api-types.ts is the public type vocabulary that boxes downstream of source import: it may name only source/ types and the leaves, or an import cycle follows.',
  },
  {
    target: ['src/source', ...LEAVES],
    from: 'src/api-types.ts',
    message: 'src/api-types.ts names source/ types: source and the leaves may not import it back (that would be a cycle, or a leaf that is no leaf).',
  },
  // The top, in order: main.ts → index.ts → server.ts → config-applier.ts → boxes.
  {
    target: ['src/index.ts', 'src/server.ts', 'src/config-applier.ts', 'src/api-types.ts', 'src/admin'],
    from: 'src/main.ts',
    message: 'STYLE.md import rules: nothing imports the CLI (src/main.ts).',
  },
  {
    target: ['src/server.ts', 'src/config-applier.ts', 'src/api-types.ts', 'src/admin'],
    from: 'src/index.ts',
    message: 'STYLE.md import rules: src/index.ts is the public API; nothing inside src imports it.',
  },
  {
    target: ['src/server.ts', 'src/index.ts', 'src/config-applier.ts', 'src/api-types.ts'],
    from: 'src/admin',
    message: 'src/admin sits on top of the server like main.ts; only main.ts wires it in.',
  },
  {
    target: ['src/config-applier.ts', 'src/api-types.ts'],
    from: 'src/server.ts',
    message: 'src/server.ts is the composition root: it imports config-applier.ts and api-types.ts, not the other way round.',
  },
  {
    target: 'src/config-applier.ts',
    from: ['src/stream', 'src/transport'],
    message: 'src/config-applier.ts turns a config into store changes and pushes; it reaches streams only through push/.',
  },
  {
    target: 'src/api-types.ts',
    from: 'src/config-applier.ts',
    message: 'src/api-types.ts is the public type vocabulary; it does not depend on how config is applied.',
  },
  // The encode worker runs in a piscina thread: leaves, the parser it runs, and the
  // encode modules that are plain functions or types, never the pool or the rest of the server.
  {
    target: 'src/encode/encode-worker.ts',
    from: 'src',
    except: ['./xds', './errors.ts', './observe/excerpt.ts', './source', './encode'],
    message: 'STYLE.md import rules: the encode worker imports only leaf modules and types (xds/, errors.ts, observe/excerpt.ts, the source parser, encode helpers).',
  },
  {
    target: 'src/encode/encode-worker.ts',
    from: ['src/encode/index.ts', 'src/encode/encode-pool.ts', 'src/source/index.ts', 'src/source/file-source.ts'],
    message: 'The encode worker must not load the pool (encode/index.ts, encode-pool.ts) or the file watcher (source/index.ts, file-source.ts): each worker thread would load them too.',
  },
  // Nothing in src imports the tools around it.
  {
    target: 'src',
    from: ['loadgen', 'bench', 'test'],
    message: 'src/ never imports loadgen/, bench/ or test/.',
  },
  // loadgen has its own client state machines, so a stream/ bug cannot hide behind a matching one.
  {
    target: 'loadgen',
    from: 'src',
    except: ['./xds', './observe'],
    message: 'STYLE.md import rules: loadgen imports only src/xds and src/observe; it keeps its own client state machines.',
  },
  {
    target: 'loadgen',
    from: ['bench', 'test'],
    message: 'loadgen/ never imports bench/ or test/.',
  },
  // bench drives the server through its public API and the load generator.
  {
    target: 'bench/*.ts',
    from: 'src',
    except: ['./index.ts'],
    message: 'STYLE.md import rules: bench imports loadgen/ and src/index.ts only (micro/ and floor/ may measure single boxes).',
  },
  {
    target: ['bench/micro', 'bench/floor'],
    from: ['src/main.ts', 'src/server.ts', 'src/admin', 'src/config-applier.ts'],
    message: 'Micro-benchmarks and the floor server measure single boxes; the whole server comes through src/index.ts.',
  },
  {
    target: 'bench',
    from: 'test',
    message: 'bench/ never imports test/.',
  },
  {
    target: 'src/apply',
    from: ['src/main.ts', 'src/index.ts', 'src/server.ts', 'src/admin', 'src/cli', 'src/stream', 'src/transport', 'src/push'],
    message: 'src/apply (the etcd write path) uses source, encode and store as a file reload does; it never reaches the server, the CLI or the boxes after the store.',
  },
  // --processes N: the primary supervises and aggregates; it must not load the server (it serves no xDS).
  {
    target: 'src/cluster',
    from: 'src',
    // counted-log is a leaf (pino types only): the primary logs its bursts of closes the way the server does.
    except: ['./cluster', './observe/counted-log.ts'],
    message:
      'src/cluster (the --processes primary and its IPC) imports nothing else in src but observe/counted-log: the primary never loads the server, the config or the boxes. main.ts passes in what it needs.',
  },
  {
    target: ['src/index.ts', 'src/server.ts', 'src/config-applier.ts', 'src/api-types.ts', 'src/admin', 'src/apply', 'src/cli', 'src/status'],
    from: 'src/cluster',
    message: 'Only the CLI (src/main.ts) wires in src/cluster.',
  },
  {
    target: 'src/status',
    from: ['src/main.ts', 'src/index.ts', 'src/server.ts', 'src/admin', 'src/cli', 'src/apply', 'src/config-applier.ts', 'src/api-types.ts', 'src/transport', 'src/push', 'src/store', 'src/encode'],
    message: 'src/status (rollout status) reads streams through stream/sync-state and talks to etcd through the source box; server.ts wires it in and the CLI reads it.',
  },
  // Protocol and e2e tests see only the public API (plus real clients in test/helpers).
  {
    target: ['test/protocol', 'test/e2e'],
    from: 'src',
    except: ['./index.ts'],
    message: 'STYLE.md import rules: test/protocol and test/e2e use only the public API (src/index.ts) and real clients from test/helpers.',
  },
];

/** Calls that take node:test options; `{ only: true }` there is `.only` by another name. */
const TEST_CALLEES = '/^(test|it|describe|suite)$/';

export default tseslint.config(
  {
    ignores: ['build/', 'coverage/', 'node_modules/', 'bench/results/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones }],
      // `catch {}` around best-effort cleanup is a common, deliberate pattern here.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Would a stale relative import slip past the zones? tsc already refuses it; this names it in lint.
      'import-x/no-unresolved': ['error', { ignore: ['^node:'] }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests poke at decoded protobuf JSON; `Record<string, any>` there is fine.
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-properties': [
        'error',
        ...['test', 'it', 'describe', 'suite', 't'].map((object) => ({
          object,
          property: 'only',
          message: '.only skips the rest of the suite; remove it before committing.',
        })),
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: `CallExpression[callee.name=${TEST_CALLEES}] > ObjectExpression > Property[key.name='only']`,
          message: '{ only: true } skips the rest of the suite; remove it before committing.',
        },
        {
          selector: `CallExpression[callee.property.name='test'] > ObjectExpression > Property[key.name='only']`,
          message: '{ only: true } skips the rest of the suite; remove it before committing.',
        },
      ],
    },
  },
);

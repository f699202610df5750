/**
 * @module test/tooling/lint-rules
 * The lint rules that keep the box layering true must really fire:
 * `import-x/no-restricted-paths` silently skips an import its resolver cannot
 * find, so a broken resolver setting would pass every file. Each case lints a
 * snippet as if it lived at a path in the repo (the file need not exist).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';

/** build/test/tooling → repo root. */
const ROOT = path.join(__dirname, '..', '..', '..');

const eslint = new ESLint({ cwd: ROOT });

/** Rule ids reported for `code` placed at `file` (relative to the repo root), each once. */
async function rulesFor(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  assert.ok(result, `no lint result for ${file}`);
  return [...new Set(result.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`))];
}

const ZONE = 'import-x/no-restricted-paths';

test('a box importing a box downstream of it on the data path is reported', async () => {
  assert.deepEqual(await rulesFor('src/source/zz-probe.ts', "export { addDiscoveryServices } from '../transport';\n"), [ZONE]);
  assert.deepEqual(await rulesFor('src/store/zz-probe.ts', "export type { Watch } from '../push';\n"), [ZONE]);
});

test('a box importing a box upstream of it, or a leaf, is allowed', async () => {
  assert.deepEqual(await rulesFor('src/transport/zz-probe.ts', "export type { ResponseSink } from '../stream';\nexport { CLUSTER } from '../xds/type-urls';\n"), []);
  assert.deepEqual(await rulesFor('src/stream/zz-probe.ts', "export type { Watch } from '../push';\nexport { XdsServerError } from '../errors';\n"), []);
});

test('a box or a leaf importing main.ts, index.ts or server.ts is reported', async () => {
  assert.deepEqual(await rulesFor('src/push/zz-probe.ts', "export { createXdsServer } from '../server';\n"), [ZONE]);
  assert.deepEqual(await rulesFor('src/xds/zz-probe.ts', "export { createXdsServer } from '../index';\n"), [ZONE]);
});

test('boxes downstream of source may name the public option types in api-types.ts; source may not, and api-types.ts may not import those boxes', async () => {
  assert.deepEqual(await rulesFor('src/transport/zz-probe.ts', "export type { StreamLimits } from '../api-types';\n"), []);
  assert.deepEqual(await rulesFor('src/source/zz-probe.ts', "export type { StreamLimits } from '../api-types';\n"), [ZONE]);
  assert.deepEqual(await rulesFor('src/api-types.ts', "export type { AnyStream } from './transport';\n"), [ZONE]);
});

test('a leaf importing anything else in src is reported, except xds importing errors.ts', async () => {
  assert.deepEqual(await rulesFor('src/observe/zz-probe.ts', "export { CLUSTER } from '../xds/type-urls';\n"), [ZONE]);
  assert.deepEqual(await rulesFor('src/xds/zz-probe.ts', "export { XdsServerError } from '../errors';\n"), []);
});

test('the encode worker importing the pool is reported', async () => {
  assert.deepEqual(await rulesFor('src/encode/encode-worker.ts', "export { EncodePool } from './encode-pool';\n"), [ZONE]);
});

test('loadgen importing src beyond xds and observe is reported', async () => {
  assert.deepEqual(await rulesFor('loadgen/zz-probe.ts', "export { SotwStream } from '../src/stream';\n"), [ZONE]);
  assert.deepEqual(await rulesFor('loadgen/zz-probe.ts', "export { CLUSTER } from '../src/xds/type-urls';\n"), []);
});

test('protocol and e2e tests importing src internals instead of src/index.ts are reported', async () => {
  assert.deepEqual(await rulesFor('test/e2e/zz-probe.ts', "export { ResourceStore } from '../../src/store';\n"), [ZONE]);
  assert.deepEqual(await rulesFor('test/protocol/zz-probe.ts', "export { createXdsServer } from '../../src/index';\n"), []);
});

test('.only in a test file is reported, as a property and as an option', async () => {
  const file = 'test/unit/zz-probe.test.ts';
  const head = "import { describe, it, test } from 'node:test';\n";
  const tail = "describe('d', () => { it('e', () => {}); });\ntest('f', () => {});\n";
  assert.deepEqual(await rulesFor(file, `${head}${tail}test.only('a', () => {});\n`), ['no-restricted-properties']);
  assert.deepEqual(await rulesFor(file, `${head}${tail}describe.only('b', () => {});\n`), ['no-restricted-properties']);
  assert.deepEqual(await rulesFor(file, `${head}${tail}test('c', { only: true }, () => {});\n`), ['no-restricted-syntax']);
  assert.deepEqual(await rulesFor(file, `${head}${tail}`), []);
});

test('an unused variable is reported', async () => {
  assert.deepEqual(await rulesFor('src/xds/zz-probe.ts', 'export function f(): number {\n  const unused = 1;\n  return 2;\n}\n'), ['@typescript-eslint/no-unused-vars']);
});

/**
 * @module test/unit/server-options.test
 * A bad option is refused before the server starts anything: the promise
 * rejects with XDS_ERR_OPTIONS and no worker thread (nor its message port)
 * is left running.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createXdsServer, XdsServerError } from '../../src/index';
import type { XdsServerOptions } from '../../src/index';

/** Worker threads keep a MessagePort each open until they exit. */
function openPorts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length;
}

const BAD: readonly [string, XdsServerOptions][] = [
  ['nodeIdSanPattern without mTLS', { nodeIdSanPattern: '^spiffe://x/(.+)$' }],
  ['configPath together with etcd', { configPath: '/nonexistent.yaml', etcd: { endpoints: ['http://127.0.0.1:1'] } }],
];

for (const [what, options] of BAD) {
  test(`${what} is refused with XDS_ERR_OPTIONS and leaves no worker thread behind`, async () => {
    const before = openPorts();
    await assert.rejects(createXdsServer({ port: 0, host: '127.0.0.1', workers: 2, ...options }), (err: unknown) => err instanceof XdsServerError && err.code === 'XDS_ERR_OPTIONS');
    // A leaked pool would still hold its workers' ports after the rejection.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(openPorts(), before, `open resources: ${process.getActiveResourcesInfo().join(', ')}`);
  });
}

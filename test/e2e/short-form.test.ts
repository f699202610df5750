/**
 * @module test/e2e/short-form.test
 * The demo of the "build your own control plane" talk, end to end: the
 * server serves examples/short-form.yaml from a watched file; an Envoy-like
 * client over SotW and one over delta receive it, then follow the demo's
 * file edits (remove endpoint 9102; add cluster `new` and route `/foo`), do
 * not see a broken edit (a route naming an undefined cluster), which the
 * server rejects naming file and path while fresh clients still receive the
 * last good config, and finally see the additions removed again.
 *
 * The steps run in order on the same server and clients; each starts from
 * the state the previous one left.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import pino from 'pino';
import { createXdsServer } from '../../src/index';
import type { XdsServer } from '../../src/index';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvoyLike } from '../helpers/envoy-like';
import type { ClientView } from '../helpers/client-view';
import type { Variant } from '../helpers/ads-client';
import { T } from '../helpers/service-paths';

/** Server-side debounce of config file changes. */
const RELOAD_DEBOUNCE_MS = 50;
/** Upper bound for a change to reach a client; generous for a loaded 2-core CI box. */
const CONVERGE_TIMEOUT_MS = 10_000;
/** How long a rejected file is given to (wrongly) reach clients before checking it did not. */
const BAD_FILE_SETTLE_MS = 20 * RELOAD_DEBOUNCE_MS;
/** Bound for each step, so a broken server fails the test instead of hanging it. */
const STEP_TIMEOUT_MS = 30_000;
const VARIANTS: readonly Variant[] = ['sotw', 'delta'];

/** examples/ sits at the repo root, above both test/ and build/test/. */
function readDemo(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'examples', 'short-form.yaml');
    if (fs.existsSync(candidate)) return fs.readFileSync(candidate, 'utf8');
    dir = path.dirname(dir);
  }
  throw new Error('examples/short-form.yaml not found');
}

const DEMO = readDemo();
const ENDPOINT_9102 = /\n\s*- address: 127\.0\.0\.1\n\s*port: 9102/;
const WITHOUT_9102 = DEMO.replace(ENDPOINT_9102, '');
const WITH_NEW = WITHOUT_9102.replace('      - echo\n', '      - echo\n    - name: fooroute\n      prefix: /foo\n      clusters:\n      - new\n').concat(
  '  - name: new\n    endpoints:\n    - address: 127.0.0.1\n      port: 9103\n',
);
const BROKEN = WITH_NEW.replace('      - echo\n', '      - ech\n');

const INITIAL: ClientView = {
  listeners: { listener_0: '0.0.0.0:9000 -> listener_0_routes' },
  routes: { listener_0_routes: ['echoroute / -> echo'] },
  clusters: { echo: 'EDS' },
  endpoints: { echo: ['127.0.0.1:9101', '127.0.0.1:9102'] },
};
const AFTER_REMOVE: ClientView = { ...INITIAL, endpoints: { echo: ['127.0.0.1:9101'] } };
const AFTER_ADD: ClientView = {
  listeners: INITIAL.listeners,
  routes: { listener_0_routes: ['fooroute /foo -> new', 'echoroute / -> echo'] },
  clusters: { echo: 'EDS', new: 'EDS' },
  endpoints: { echo: ['127.0.0.1:9101'], new: ['127.0.0.1:9103'] },
};

describe('the short-form demo served from a watched file', () => {
  let dir: string;
  let file: string;
  let server: XdsServer;
  const logLines: string[] = [];
  const clients = new Map<Variant, EnvoyLike>();
  let nextNode = 0;

  /** Replace the file in place, as an editor that truncates and writes does. */
  const writeInPlace = (text: string): void => fs.writeFileSync(file, text);
  /** Replace the file by renaming a new one over it, as vim and most tools do. */
  const writeByRename = (text: string): void => {
    const tmp = path.join(dir, `.short-form.yaml.${process.pid}.tmp`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  };

  async function converge(client: EnvoyLike, expected: ClientView): Promise<void> {
    await client.waitUntil(
      () => isDeepStrictEqual(client.view(), expected),
      CONVERGE_TIMEOUT_MS,
      () => `holds ${JSON.stringify(client.view())}, expected ${JSON.stringify(expected)}; received ${client.describeLog()}`,
    );
  }

  async function allConverge(expected: ClientView): Promise<void> {
    await Promise.all([...clients.values()].map((c) => converge(c, expected)));
    for (const c of clients.values()) assert.deepEqual(c.nacks, [], `${c.variant} client NACKed`);
  }

  async function fresh(variant: Variant): Promise<EnvoyLike> {
    return EnvoyLike.start(server.port, { variant, node: { id: `fresh-${variant}-${nextNode++}` } });
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'short-form-e2e-'));
    file = path.join(dir, 'short-form.yaml');
    fs.writeFileSync(file, DEMO);
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, logger, configPath: file, reloadDebounceMs: RELOAD_DEBOUNCE_MS });
    for (const v of VARIANTS) clients.set(v, await EnvoyLike.start(server.port, { variant: v, node: { id: `envoy-${v}` } }));
  });

  after(async () => {
    for (const c of clients.values()) c.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the demo as a listener, its route config, an EDS cluster and its endpoints over SotW and delta', { timeout: STEP_TIMEOUT_MS }, async () => {
    await allConverge(INITIAL);
  });

  it('removing endpoint 9102 from the file reaches both clients', { timeout: STEP_TIMEOUT_MS }, async () => {
    writeInPlace(WITHOUT_9102);
    await allConverge(AFTER_REMOVE);
  });

  it('adding cluster new and route /foo reaches both clients, the cluster before the route that needs it', { timeout: STEP_TIMEOUT_MS }, async () => {
    const start = new Map([...clients].map(([v, c]) => [v, c.log.length]));
    writeByRename(WITH_NEW);
    await allConverge(AFTER_ADD);
    for (const [v, c] of clients) {
      const since = c.log.slice(start.get(v));
      const cds = since.findIndex((r) => r.typeUrl === T.CLUSTER && r.names.includes('new'));
      const rds = since.findIndex((r) => r.typeUrl === T.ROUTE && JSON.stringify(r.resources.map((x) => x.body)).includes('"new"'));
      assert.ok(cds !== -1 && rds !== -1 && cds < rds, `${v}: cluster new (response ${cds}) must arrive before the route to it (response ${rds})`);
    }
  });

  it('a route to an undefined cluster is rejected naming file and path, and the previous config stays served', { timeout: STEP_TIMEOUT_MS }, async () => {
    const revision = server.stats().revision;
    const responses = new Map([...clients].map(([v, c]) => [v, c.log.length]));
    const logged = logLines.length;
    writeInPlace(BROKEN);
    const expected = 'spec.listeners[0].routes[0].clusters[0]: cluster "ech" is not defined';
    const reported = (): string | undefined =>
      logLines
        .slice(logged)
        .map((l) => l.replace(/\\"/g, '"'))
        .find((l) => l.includes(expected) && l.includes('short-form.yaml'));
    const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
    while (reported() === undefined && Date.now() < deadline) await sleep(RELOAD_DEBOUNCE_MS);
    assert.ok(reported(), `the server never logged "${expected}" with the file name; it logged:\n${logLines.slice(logged).join('')}`);
    await sleep(BAD_FILE_SETTLE_MS);

    assert.equal(server.stats().revision, revision, 'a rejected file must not change the served revision');
    for (const [v, c] of clients) {
      assert.deepEqual(
        c.log.slice(responses.get(v)).map((r) => `${r.typeUrl} ${r.names.join(',')}`),
        [],
        `${v} client got responses after a rejected edit`,
      );
      assert.deepEqual(c.view(), AFTER_ADD);
    }
    const late = await Promise.all(VARIANTS.map(fresh));
    try {
      await Promise.all(late.map((c) => converge(c, AFTER_ADD)));
      for (const c of late) assert.deepEqual(c.nacks, []);
    } finally {
      for (const c of late) c.close();
    }
  });

  it('after a rejected edit, the next good file is served: removing cluster new and route /foo reaches both clients', { timeout: STEP_TIMEOUT_MS }, async () => {
    const start = new Map([...clients].map(([v, c]) => [v, c.log.length]));
    writeByRename(DEMO);
    await allConverge(INITIAL);
    const delta = clients.get('delta');
    assert.ok(delta);
    const removed = delta.log
      .slice(start.get('delta'))
      .filter((r) => r.typeUrl === T.CLUSTER)
      .flatMap((r) => r.removed);
    assert.deepEqual(removed, ['new'], 'delta must name the deleted cluster in removed_resources');
  });
});

/** A full-form file to sit beside the short form: one STATIC cluster. */
const FULL_FORM = `resources:
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: full_static
  type: STATIC
  connect_timeout: 1s
  load_assignment:
    cluster_name: full_static
    endpoints:
    - lb_endpoints:
      - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 9200 } } }
`;

describe('the short form beside full Envoy resources', () => {
  it('a config directory mixing both forms serves both to SotW and delta clients', { timeout: STEP_TIMEOUT_MS }, async () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'short-form-mixed-'));
    let server: XdsServer | undefined;
    const clients: EnvoyLike[] = [];
    try {
      fs.writeFileSync(path.join(dir, 'a-short.yaml'), DEMO);
      fs.writeFileSync(path.join(dir, 'b-full.yaml'), FULL_FORM);
      server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1, configPath: dir, reloadDebounceMs: RELOAD_DEBOUNCE_MS });
      for (const v of VARIANTS) clients.push(await EnvoyLike.start(server.port, { variant: v, node: { id: `mixed-${v}` } }));
      const expected: ClientView = { ...INITIAL, clusters: { echo: 'EDS', full_static: 'STATIC' } };
      for (const c of clients) {
        await c.waitUntil(
          () => isDeepStrictEqual(c.view(), expected),
          CONVERGE_TIMEOUT_MS,
          () => `${JSON.stringify(c.view())}; received ${c.describeLog()}`,
        );
        assert.deepEqual(c.nacks, []);
      }
    } finally {
      for (const c of clients) c.close();
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the library API takes short-form documents and rejects a broken one naming its path', { timeout: STEP_TIMEOUT_MS }, async () => {
    const server = await createXdsServer({ port: 0, host: '127.0.0.1', workers: 1 });
    const client = await EnvoyLike.start(server.port, { variant: 'delta', node: { id: 'api-delta' } });
    try {
      const good = await server.loadConfigDocuments([{ file: 'api.yaml', text: WITH_NEW }]);
      assert.equal(good.ok, true, good.ok ? '' : good.message);
      await client.waitUntil(
        () => isDeepStrictEqual(client.view(), AFTER_ADD),
        CONVERGE_TIMEOUT_MS,
        () => `${JSON.stringify(client.view())}; received ${client.describeLog()}`,
      );
      const bad = await server.loadConfigDocuments([{ file: 'api.yaml', text: BROKEN }]);
      assert.equal(bad.ok, false);
      assert.ok(!bad.ok && bad.message.includes('api.yaml: spec.listeners[0].routes[0].clusters[0]: cluster "ech" is not defined'), bad.ok ? '' : bad.message);
      assert.deepEqual(client.view(), AFTER_ADD);
      assert.deepEqual(client.nacks, []);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

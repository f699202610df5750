/**
 * @module bench/config-sink
 * Where the bench writes the mesh and each change, and how the server is
 * told to read it: a config file (`--config FILE`), or a real etcd
 * (`--source etcd`: `--etcd-endpoints/--etcd-prefix`) written with the
 * project's own guarded apply (src/apply, the code behind `fanout-xds apply`
 * and `applyToEtcd`), pruning what the mesh no longer holds. For etcd the
 * commit time is the moment the apply's transaction returned: the change is
 * in etcd, and every replica's watch sees it from then on.
 */
import * as fs from 'node:fs';
import { EtcdWriter } from '../src/index';
import type { Mesh } from './scenarios';
import { BENCH_ETCD_MAX_REQUEST_BYTES, BENCH_ETCD_MAX_TXN_OPS, startBenchEtcd } from './etcd-launcher';
import type { BenchEtcd } from './etcd-launcher';

/** Which store the servers read. */
export type SourceKind = 'file' | 'etcd';
export const SOURCE_KINDS: readonly SourceKind[] = ['file', 'etcd'];

/** One write of the mesh. */
export interface SinkWrite {
  /** Epoch ms: the file write, or the etcd transaction's return. */
  readonly atMs: number;
  /** The etcd revision written (etcd only). */
  readonly revision?: number;
}

/** A place the mesh lives and the server flags that read it. */
export interface ConfigSink {
  readonly kind: SourceKind;
  /** Server arguments that select this source. */
  readonly serverArgs: readonly string[];
  /** Write the whole mesh (etcd: only the keys that differ, in one transaction). */
  write(mesh: Mesh): Promise<SinkWrite>;
  close(): Promise<void>;
}

/** The config file the server watches. */
export function fileSink(configFile: string, removeOnClose: boolean): ConfigSink {
  return {
    kind: 'file',
    serverArgs: ['--config', configFile],
    write: (mesh) => {
      fs.writeFileSync(configFile, mesh.toConfigText());
      return Promise.resolve({ atMs: Date.now() });
    },
    close: () => {
      if (removeOnClose) fs.rmSync(configFile, { force: true });
      return Promise.resolve();
    },
  };
}

/** A fresh etcd under `workDir`, the mesh under `prefix`. */
export async function etcdSink(workDir: string, prefix: string): Promise<ConfigSink> {
  const etcd: BenchEtcd = await startBenchEtcd(workDir);
  const writer = new EtcdWriter({ endpoints: [etcd.endpoint], prefix, maxTxnOps: BENCH_ETCD_MAX_TXN_OPS, maxRequestBytes: BENCH_ETCD_MAX_REQUEST_BYTES }, { workers: 1 });
  return {
    kind: 'etcd',
    serverArgs: ['--etcd-endpoints', etcd.endpoint, '--etcd-prefix', prefix],
    write: async (mesh) => {
      const result = await writer.apply({ documents: [{ file: 'bench-mesh.json', text: mesh.toConfigText() }] }, { prune: true });
      const atMs = Date.now();
      if (!result.ok) throw new Error(`the bench mesh was refused by the etcd apply: ${result.message}`);
      return { atMs, revision: result.revision };
    },
    close: async () => {
      await writer.close();
      await etcd.stop();
    },
  };
}

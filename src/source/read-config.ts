/**
 * @module source/read-config
 * Reads the config path (a file, or a directory's `*.yaml|yml|json`) so that
 * nothing behind that path can hurt the server:
 *
 * - only regular files: a FIFO or device is refused after `stat`, before any
 *   open, and the open itself is non-blocking and checked again with `fstat`
 *   (a FIFO opened for reading blocks a libuv thread until a writer appears;
 *   four of them stop every file operation in the process);
 * - at most `maxBytes` for the whole configuration, checked before reading
 *   and again while reading (a file may grow);
 * - at most READ_CONCURRENCY files open at once (a 5,000-file directory must
 *   not take 5,000 descriptors from the worker threads starting beside it);
 * - a deadline per file, and no second read of a file whose first read is
 *   still stuck (a hung network filesystem parks a thread per read).
 *
 * It returns bytes, not text: the encode worker decodes them, so the event
 * loop's heap never holds a copy of a large config.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigReadError, TRANSIENT_ERROR_CODES } from '../errors';

/** Default largest configuration (all files together), in bytes: see README "Config size limits" for what loads. */
export const DEFAULT_MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** Default deadline for reading one config file, in ms; a local disk needs a fraction of this for 64 MiB. */
export const DEFAULT_CONFIG_READ_TIMEOUT_MS = 10_000;

/** Files read (or stat'ed) at once from a config directory. */
export const READ_CONCURRENCY = 16;

/** Extensions read from a config directory. */
const CONFIG_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Open flags: never block on a FIFO, never adopt a terminal as controlling tty. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0);

/** Limits for reading a config path. */
export interface ConfigReadLimits {
  /** Largest configuration in bytes, all files together. */
  readonly maxBytes?: number;
  /** Deadline for reading one file, in ms. */
  readonly readTimeoutMs?: number;
}

/** One config file's bytes (UTF-8 text, decoded by the encode worker). */
export interface ConfigFile {
  readonly file: string;
  readonly bytes: Uint8Array;
}

const MIB = 1024 * 1024;

/** `67108864 bytes (64.0 MiB)`. */
function size(bytes: number): string {
  return `${bytes} bytes (${(bytes / MIB).toFixed(1)} MiB)`;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'something else';
}

function notRegular(file: string, st: fs.Stats): ConfigReadError {
  return new ConfigReadError(file, 'not_regular_file', `not a regular file but ${kindOf(st)}; point --config at a regular file or a directory of them`);
}

function tooLarge(file: string, bytes: number, maxBytes: number, what: string): ConfigReadError {
  return new ConfigReadError(
    file,
    'max_config_bytes',
    `${what} ${size(bytes)}, over the --max-config-bytes limit of ${size(maxBytes)}; raise --max-config-bytes (maxConfigBytes) or make the configuration smaller`,
  );
}

/** An fs error as a ConfigReadError: transient for EMFILE and friends, rejected otherwise. */
function ioError(file: string, err: unknown): ConfigReadError {
  if (err instanceof ConfigReadError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const transient = typeof code === 'string' && TRANSIENT_ERROR_CODES.has(code);
  return new ConfigReadError(file, 'io', `cannot read: ${(err as Error)?.message ?? String(err)}`, { transient, cause: err });
}

/** Run `fn` over `items`, at most `limit` at a time, keeping order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (err) {
        failed = true; // stop starting new reads; the first error wins
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * Reads config paths within limits. One per server: it remembers reads that
 * outlived their deadline so a hung file is not read again until they end.
 */
export class ConfigReader {
  readonly #maxBytes: number;
  readonly #readTimeoutMs: number;
  /** Reads past their deadline, by file: still holding a thread. */
  readonly #stuck = new Map<string, Promise<unknown>>();

  constructor(limits: ConfigReadLimits = {}) {
    this.#maxBytes = limits.maxBytes ?? DEFAULT_MAX_CONFIG_BYTES;
    this.#readTimeoutMs = limits.readTimeoutMs ?? DEFAULT_CONFIG_READ_TIMEOUT_MS;
  }

  /** Every config file under `configPath` (a file, or a directory's *.yaml|yml|json in name order). Throws ConfigReadError. */
  async read(configPath: string): Promise<ConfigFile[]> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(configPath);
    } catch (err) {
      throw ioError(configPath, err);
    }
    let files: string[];
    if (st.isDirectory()) {
      files = await this.#list(configPath);
    } else if (st.isFile()) {
      files = [configPath];
    } else {
      throw notRegular(configPath, st);
    }
    // Stat everything first (no descriptors held) so the size limit refuses before any byte is read.
    const sizes = st.isDirectory() ? await mapBounded(files, READ_CONCURRENCY, (f) => this.#regularSize(f)) : [st.size];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total > this.#maxBytes) {
      throw st.isDirectory() ? tooLarge(configPath, total, this.#maxBytes, `the ${files.length} config files hold`) : tooLarge(configPath, total, this.#maxBytes, 'the file is');
    }
    const what = st.isDirectory() ? `with ${files.length} config files, the configuration is` : 'the file is';
    // A file may grow after stat: it may take what the others leave, no more.
    return mapBounded(files, READ_CONCURRENCY, async (file, i) => ({ file, bytes: await this.#readWithDeadline(file, total - (sizes[i] ?? 0), what) }));
  }

  async #list(dir: string): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(dir);
    } catch (err) {
      throw ioError(dir, err);
    }
    const files = names
      .filter((f) => CONFIG_EXTENSIONS.has(path.extname(f).toLowerCase()) && !f.startsWith('.'))
      .sort()
      .map((f) => path.join(dir, f));
    if (files.length === 0) {
      throw new ConfigReadError(dir, 'no_config_files', 'the directory has no config files (*.yaml, *.yml, *.json); to serve nothing, put a file with `resources: []` in it');
    }
    return files;
  }

  async #regularSize(file: string): Promise<number> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(file);
    } catch (err) {
      throw ioError(file, err);
    }
    if (!st.isFile()) throw notRegular(file, st);
    return st.size;
  }

  async #readWithDeadline(file: string, others: number, what: string): Promise<Uint8Array> {
    if (this.#stuck.has(file)) {
      throw new ConfigReadError(file, 'read_timeout', 'an earlier read has not finished (a hung filesystem?); not reading it again until it does', { transient: true });
    }
    const read = this.#readRegular(file, others, what);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#stuck.set(file, read);
        void read.catch(() => undefined).finally(() => this.#stuck.delete(file));
        reject(new ConfigReadError(file, 'read_timeout', `reading took longer than --config-read-timeout-ms (${this.#readTimeoutMs} ms); raise it for a slow filesystem`, { transient: true }));
      }, this.#readTimeoutMs);
    });
    try {
      return await Promise.race([read, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Open without blocking, check with fstat, and read what the limit leaves
   * after `others` bytes of other files, into an ArrayBuffer of its own (it
   * is transferred to a worker).
   */
  async #readRegular(file: string, others: number, what: string): Promise<Uint8Array> {
    const cap = this.#maxBytes - others;
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, OPEN_FLAGS);
    } catch (err) {
      throw ioError(file, err);
    }
    try {
      const st = await handle.stat();
      // The path may have been swapped for a FIFO or device between stat and open.
      if (!st.isFile()) throw notRegular(file, st);
      if (st.size > cap) throw tooLarge(file, others + st.size, this.#maxBytes, what);
      // One byte more than expected, to see a file that grew.
      let buf = new Uint8Array(Math.min(st.size, cap) + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length < buf.length) continue;
        if (length > cap) throw tooLarge(file, others + length, this.#maxBytes, `${what} at least`);
        const grown = new Uint8Array(Math.min(buf.length * 2, cap + 1));
        grown.set(buf);
        buf = grown;
      }
      return length === buf.length ? buf : buf.slice(0, length);
    } catch (err) {
      throw ioError(file, err);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
}

/** Read `configPath` once with the given limits (see {@link ConfigReader}). */
export function readConfigDocuments(configPath: string, limits: ConfigReadLimits = {}): Promise<ConfigFile[]> {
  return new ConfigReader(limits).read(configPath);
}

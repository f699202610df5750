/**
 * @module source/file-source
 * Watches a config file or a directory of them and reports every change,
 * debounced so an editor's several writes become one reload; the reload
 * reads the whole truth again (read-config.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';

/** Default quiet period before a change is reloaded. */
export const RELOAD_DEBOUNCE_MS = 200;

/** Watches `configPath` and calls `onChange` after each debounced change. */
export class FileSource {
  readonly #path: string;
  readonly #debounceMs: number;
  readonly #log: Logger;
  #watcher: fs.FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(configPath: string, logger: Logger, debounceMs: number = RELOAD_DEBOUNCE_MS) {
    this.#path = path.resolve(configPath);
    this.#debounceMs = debounceMs;
    this.#log = logger.child({ component: 'file-source' });
  }

  /** Start watching. Editors often replace a file by renaming, so a single file is watched through its directory. */
  watch(onChange: () => void): void {
    const isDir = fs.statSync(this.#path).isDirectory();
    const dir = isDir ? this.#path : path.dirname(this.#path);
    const base = path.basename(this.#path);
    this.#watcher = fs.watch(dir, (_event, filename) => {
      if (!isDir && filename !== null && filename !== base) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(onChange, this.#debounceMs);
    });
    this.#watcher.on('error', (err) => this.#log.error({ err, path: this.#path }, 'config watch failed; reloads stop until restart'));
  }

  /** Stop watching. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
  }
}

/**
 * @module observe/logger
 * One pino root per process, created by main.ts (or by a library user) and
 * passed down; modules bind `{component}` children and never import a global.
 */
import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Create the root logger. `level` is a pino level name; 'silent' turns logging off. */
export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { service: 'fanout-xds' } });
}

/** A logger that drops everything: the default for library users who pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * @module observe/logger
 * One pino root per process, created by main.ts (or by a library user) and
 * passed down; modules bind `{component}` children and never import a global.
 * Two formats: JSON lines for machines (the default off a terminal, and what
 * scripts parse), or pino-pretty's coloured, human-readable lines.
 */
import pino from 'pino';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** How log lines are written. */
export type LogFormat = 'json' | 'pretty';

/** The accepted --log-format values. */
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** The format when none is asked for: pretty for a person at a terminal, JSON for everything else. */
export function defaultLogFormat(stdoutIsTty: boolean = process.stdout.isTTY === true): LogFormat {
  return stdoutIsTty ? 'pretty' : 'json';
}

/** Create the root logger. `level` is a pino level name; 'silent' turns logging off. */
export function createLogger(level: string = 'info', format: LogFormat = 'json'): Logger {
  const options = { level, base: { service: 'fanout-xds' } };
  if (format === 'json') return pino(options);
  // sync: a line written just before process.exit (a rejected first config, a second signal) must not be lost.
  return pino(options, pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:standard', ignore: 'pid,hostname,service' }));
}

/** A logger that drops everything: the default for library users who pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

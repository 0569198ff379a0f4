/** Structured JSON logs (pino) with every secret-bearing field redacted, at any depth; readable lines for a person at a dev terminal. */
import pino, { type Logger } from 'pino';
import type { Config } from './config';
import { prettyDestination } from './logging/pretty-lines';
import { redactSecrets, serializeError } from './logging/redact-secrets';

export type { Logger };

/** A logger at the configured level writing JSON lines to stdout (or the given stream). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'custodian' },
      // pino's `redact` paths only reach fixed depths; the formatter walks the whole log object instead.
      formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
      serializers: { err: serializeError, error: serializeError },
    },
    destination,
  );
}

/** Where the process's log lines go, and how they look. */
export interface LogTarget {
  isTTY: boolean;
  write(text: string): unknown;
  /** NO_COLOR (https://no-color.org) or a terminal without colours. */
  colours: boolean;
}

/** Whether lines are for a person: LOG_FORMAT=pretty, or `auto` in dev mode writing to a terminal. JSON otherwise (pipes, files, production). */
export function wantsPrettyLogs(config: Pick<Config, 'mode' | 'logFormat'>, target: Pick<LogTarget, 'isTTY'>): boolean {
  if (config.logFormat !== 'auto') return config.logFormat === 'pretty';
  return config.mode === 'dev' && target.isTTY;
}

/** The process's logger: JSON lines on stdout, or readable ones ({@link wantsPrettyLogs}). */
export function createProcessLogger(config: Pick<Config, 'mode' | 'logFormat' | 'logLevel'>, target: LogTarget = stdoutTarget()): Logger {
  if (!wantsPrettyLogs(config, target)) return createLogger(config.logLevel);
  return createLogger(config.logLevel, prettyDestination(target, { colours: target.colours }));
}

function stdoutTarget(): LogTarget {
  const isTTY = process.stdout.isTTY === true;
  return {
    isTTY,
    write: (text) => process.stdout.write(text),
    colours: isTTY && process.env.NO_COLOR === undefined && process.stdout.hasColors?.() !== false,
  };
}

/** Routes the Temporal worker's own logs (bundling, state changes, workflow/activity logs) into pino. */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from '../logger';

const TO_PINO: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
};

/** Components whose lines are Custodian's own (its workflows' and activities' `log` calls), not the SDK's. */
const OUR_COMPONENTS = new Set(['workflow', 'activity']);

/**
 * The pino level of a Temporal line. The SDK's own INFO chatter (bundling, worker state changes, Nexus
 * polling) goes to debug, out of a reader's way; warnings, errors and Custodian's workflow logs keep theirs.
 */
export function pinoLevelOf(level: LogLevel, meta?: LogMetadata): 'trace' | 'debug' | 'info' | 'warn' | 'error' {
  if (level === 'INFO' && !OUR_COMPONENTS.has(String(meta?.sdkComponent ?? ''))) return 'debug';
  return TO_PINO[level];
}

/** A Temporal Logger writing through `logger` (so LOG_LEVEL and redaction apply). */
export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => logger[pinoLevelOf(level, meta)]({ temporal: meta }, message);
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

/** Installs the pino-backed logger in the worker runtime; call once, before any worker is created. */
export function installTemporalRuntimeLogger(logger: Logger): void {
  Runtime.install({ logger: temporalLogger(logger) });
}

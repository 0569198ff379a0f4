/** Structured JSON logs (pino) with every secret-bearing field redacted, at any depth. */
import pino, { type Logger } from 'pino';
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

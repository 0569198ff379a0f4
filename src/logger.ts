/** Structured JSON logs (pino) with every secret-bearing field redacted. */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino censors wherever they appear in a log object. */
export const REDACTED_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'secretKey', '*.secretKey', 'secret_key', '*.secret_key', 'client_secret', '*.client_secret',
  'credentials', '*.credentials', 'access_token', '*.access_token', 'refresh_token', '*.refresh_token',
  'apiKey', '*.apiKey', 'password', '*.password', 'token', '*.token', 'webhook_signing_key', '*.webhook_signing_key',
];

/** A logger at the configured level writing JSON lines to stdout (or the given stream). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'custodian' } }, destination);
}

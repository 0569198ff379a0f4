/** Censors credential-shaped keys at every depth of a log object, and serializes errors without their SQL parameters. */
import pino from 'pino';

/** What a censored value is replaced with. */
export const CENSORED = '[redacted]';

/**
 * Keys whose values are secrets, wherever they appear: headers (authorization, cookie), keys and
 * secrets of every spelling (secretKey, client_secret, webhook_signing_key, private_key), tokens
 * (access_token, refresh_token, oauth_token_secret), passwords, API keys, PKCE and OAuth 1.0a verifiers,
 * and credentials blobs.
 */
const SECRET_KEY_PATTERN = /authorization|cookie|secret|passw(or)?d|token|api[-_]?key|credential|private[-_]?key|signing[-_]?key|verifier|signature/i;

/** Error fields that carry a failed statement and its values (TypeORM's QueryFailedError): never logged. */
const SQL_VALUE_FIELDS = new Set(['parameters', 'query']);

/** Past this depth a value is summarised rather than walked (log objects are never this deep on purpose). */
const MAX_DEPTH = 12;

/** Whether a key names a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key);
}

/** A copy of the value with every credential-shaped key censored, at any depth; errors are serialized. */
export function redactSecrets(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (value instanceof Error) return redactSecrets(withoutSqlValues(pino.stdSerializers.err(value)), depth, seen);
    if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
    if (value instanceof Date || Buffer.isBuffer(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = isSecretKey(key) ? CENSORED : redactSecrets(item, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

/** pino's error serializer, minus SQL parameters, with secrets censored at any depth. */
export function serializeError(error: unknown): unknown {
  return redactSecrets(error);
}

function withoutSqlValues(serialized: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(serialized)) {
    if (SQL_VALUE_FIELDS.has(key)) continue;
    // A QueryFailedError's driverError (pg's DatabaseError) is walked too; its own fields hold no parameters, but a wrapped one may.
    out[key] = item !== null && typeof item === 'object' && !Array.isArray(item) && !(item instanceof Error) ? withoutSqlValues(item as Record<string, unknown>) : item;
  }
  return out;
}

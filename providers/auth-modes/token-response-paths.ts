/**
 * Reading a TWO_STEP token response with the entry's `token_response` paths: the token, its expiry
 * (`expireIn`: a lifetime; `expireAt`: a date) and a refresh token. Without an expiry in the response,
 * `token_expires_in_ms` (0: does not expire), else the token's own JWT `exp`; a refresh token that is a
 * JWT with an `exp` brings the expiry forward to it, so a new token is obtained before it dies.
 */
import type { ProviderEntry } from '../catalog-schema';

/** What a token response gave. */
export interface TokenResponseValues {
  readonly token: string;
  readonly refreshToken?: string;
  /** null: does not expire, as far as anyone said. */
  readonly expiresAt: Date | null;
}

type Paths = NonNullable<ProviderEntry['token_response']>;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const DURATION_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
// Tableau's `estimatedTimeToExpiration`: days:hours:minutes.
const DAYS_HOURS_MINUTES = /^(\d+):([01]\d|2[0-3]):([0-5]\d)$/;
// A number that, read as milliseconds, falls before 1972 is Unix seconds (as Nango tells them apart).
const MS_THRESHOLD = Date.UTC(1972, 0, 1);

/** The values at the entry's paths in `body` (parsed JSON or XML, or the text itself); undefined when the token is absent. */
export function readTokenResponse(body: unknown, entry: Pick<ProviderEntry, 'token_response' | 'token_expires_in_ms'>, now: Date): TokenResponseValues | undefined {
  const paths: Paths = entry.token_response ?? { token: 'access_token' };
  const token = textAt(body, paths.token);
  if (token === undefined) return undefined;
  const refreshToken = paths.refresh_token === undefined ? undefined : textAt(body, paths.refresh_token);
  const stated = paths.token_expiration === undefined ? undefined : valueAt(body, paths.token_expiration);
  let expiresAt: Date | null | undefined = stated === undefined ? undefined : expiryOf(stated, paths.token_expiration_strategy ?? 'expireAt', now);
  if (expiresAt === undefined && entry.token_expires_in_ms !== undefined) {
    expiresAt = entry.token_expires_in_ms > 0 ? new Date(now.getTime() + entry.token_expires_in_ms) : null;
  }
  if (expiresAt === undefined) expiresAt = jwtExpiry(token);
  const refreshExpiry = refreshToken === undefined ? null : jwtExpiry(refreshToken);
  if (refreshExpiry !== null && (expiresAt === null || refreshExpiry < expiresAt)) expiresAt = refreshExpiry;
  // A refresh token's expiry is only ever an earlier deadline; a token without any stays without.
  return { token, ...(refreshToken === undefined ? {} : { refreshToken }), expiresAt };
}

/** The value at a dotted path (`tokens.access.token`); `''` is the whole body. */
export function valueAt(body: unknown, path: string): unknown {
  if (path === '') return body;
  let node: unknown = body;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function textAt(body: unknown, path: string): string | undefined {
  const value = valueAt(body, path);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The expiry a stated value means; undefined when it cannot be read (then the fallbacks apply). */
function expiryOf(value: unknown, strategy: 'expireIn' | 'expireAt', now: Date): Date | undefined {
  return strategy === 'expireIn' ? lifetimeEnd(value, now) : dateOf(value, now);
}

function lifetimeEnd(value: unknown, now: Date): Date | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) > 0 ? new Date(now.getTime() + Number(text) * 1000) : undefined;
  const duration = DURATION.exec(text);
  return duration ? new Date(now.getTime() + Number(duration[1]) * (DURATION_MS[duration[2] ?? 's'] ?? 1000)) : undefined;
}

function dateOf(value: unknown, now: Date): Date | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return new Date(value < MS_THRESHOLD ? value * 1000 : value);
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return dateOf(Number(text), now);
  const relative = DAYS_HOURS_MINUTES.exec(text);
  if (relative) {
    const minutes = (Number(relative[1]) * 24 + Number(relative[2])) * 60 + Number(relative[3]);
    return new Date(now.getTime() + minutes * 60_000);
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : new Date(parsed);
}

/** The `exp` of a JWT, or null when the text is not one or has none. */
export function jwtExpiry(token: string): Date | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const exp = typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : null;
  } catch {
    return null;
  }
}

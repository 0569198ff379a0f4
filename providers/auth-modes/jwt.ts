/**
 * JWT: the end user types what a token is signed from (a private key or secret, and the ids the
 * claims name); Custodian signs a short-lived JWT with it (HMAC, RSA or EC, per the entry's `token`
 * block), checks it once against the provider's verification endpoint when the entry has one, and signs
 * a new one before each expires, without calling the provider (upkeep `mint`).
 */
import { z } from 'zod';
import type { ProviderEntry } from '../catalog-schema';
import type { JwtCredentials } from '../credentials';
import type { AuthModeStrategy } from './auth-mode';
import { dateOf, expiryField } from './import-fields';
import { fieldsReadByToken, mintJwt } from './jwt-token';
import { verifyToken, withToken } from './token-headers';

// Ghost's Admin API key is typed as `<id>:<secret>`; Nango keeps it as `{ id, secret }`, which its templates read.
const ID_SECRET_PARTS = ['id', 'secret'];
const RESERVED = new Set(['type', 'token', 'expires_at']);

const fieldValue = z.union([z.string(), z.strictObject({ id: z.string(), secret: z.string() })]);

/** What `POST /auth/jwt/:key` receives: the typed fields (the frontend SDK also sends `type: "JWT"`). */
const formBody = z.object({ type: z.literal('JWT').optional() }).catchall(fieldValue);

/** A `POST /connections` import: Nango's JWT credentials, the typed fields with an optional token already signed. */
const importSchema = z
  .object({ type: z.literal('JWT'), token: z.string().min(1).optional(), expires_at: expiryField.optional() })
  .catchall(fieldValue);

/** The JWT strategy. */
export const jwt: AuthModeStrategy<JwtCredentials> = {
  authMode: 'JWT',
  connect: { kind: 'form', routes: ['/auth/jwt/:key'], body: formBody },
  completing: 'signing and checking the token',
  refusedAs: 'connection_test_failed',

  async complete(input, call) {
    const fields = typedFields(input.entry, input.received);
    const minted = mintJwt({ entry: input.entry, fields, connectionConfig: input.connectionConfig, now: call.now });
    await verifyToken({ entry: input.entry, token: minted.token, fields, connectionConfig: input.connectionConfig, secrets: secretStrings(fields) }, call);
    return { credentials: credentialsOf(fields, minted), expiresAt: minted.expiresAt, connectionConfig: {} };
  },

  importSchema,
  fromImport(body, now) {
    const { type: _type, token, expires_at: expiresAt, ...fields } = body;
    // Without a token the credentials are due at once: the first upkeep or read signs one.
    const stored: JwtCredentials = { type: 'JWT', ...fields, expires_at: typeof token === 'string' ? ((expiresAt as string | undefined) ?? expiryOf(token, now)) : now.toISOString() };
    if (typeof token === 'string') stored.token = token;
    return stored;
  },
  checksImports: false,

  upkeep: () => ({ kind: 'mint', beforeExpiry: true }),

  renew(input, call) {
    const minted = mintJwt({ entry: input.entry, fields: storedFields(input.credentials), connectionConfig: input.connectionConfig, now: call.now });
    return Promise.resolve({ kind: 'renewed', credentials: { ...input.credentials, token: minted.token, expires_at: minted.expiresAt.toISOString() }, expiresAt: minted.expiresAt, connectionConfig: {} });
  },

  expiresAt: (credentials) => dateOf(credentials.expires_at),

  authorize(request, input) {
    const fields = storedFields(input.credentials);
    // A token past its expiry (an upkeep that has not run yet) would be refused: sign one for this request.
    const current = input.credentials.token;
    const expired = current === undefined || (input.credentials.expires_at !== undefined && Date.parse(input.credentials.expires_at) <= input.now.getTime());
    const token = expired ? mintJwt({ entry: input.entry, fields, connectionConfig: input.connectionConfig, now: input.now }).token : current;
    return withToken(request, { entry: input.entry, token, fields, connectionConfig: input.connectionConfig });
  },

  secretsOf: (credentials) => [...(credentials.token === undefined ? [] : [credentials.token]), ...secretStrings(storedFields(credentials))],
};

/**
 * The fields worth keeping from a form: those the entry declares and those its token templates read.
 * A field read through `.id` and `.secret` typed as one string is split at its first `:`.
 */
function typedFields(entry: ProviderEntry, received: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const read = fieldsReadByToken(entry);
  const names = new Set([...Object.keys(entry.credentials ?? {}), ...read.keys()]);
  const fields: Record<string, unknown> = {};
  for (const name of names) {
    const value = received[name];
    if (value === undefined || RESERVED.has(name)) continue;
    const parts = read.get(name);
    fields[name] = typeof value === 'string' && parts !== undefined && ID_SECRET_PARTS.every((part) => parts.has(part)) ? idSecretPair(value) : value;
  }
  return fields;
}

function idSecretPair(value: string): unknown {
  const colon = value.indexOf(':');
  return colon < 0 ? value : { id: value.slice(0, colon), secret: value.slice(colon + 1) };
}

function storedFields(credentials: JwtCredentials): Record<string, unknown> {
  return Object.fromEntries(Object.entries(credentials).filter(([name]) => !RESERVED.has(name)));
}

function credentialsOf(fields: Record<string, unknown>, minted: { token: string; expiresAt: Date }): JwtCredentials {
  return { type: 'JWT', ...fields, token: minted.token, expires_at: minted.expiresAt.toISOString() };
}

/** Every string the fields hold, nested ones included (keys, secrets, and ids, which redaction may hide too). */
function secretStrings(fields: Readonly<Record<string, unknown>>): string[] {
  return Object.values(fields).flatMap((value) => (typeof value === 'string' ? [value] : typeof value === 'object' && value !== null ? secretStrings(value as Record<string, unknown>) : []));
}

/** An imported token's own `exp`, else now (sign a new one at once). */
function expiryOf(token: string, now: Date): string {
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const exp = typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000).toISOString() : now.toISOString();
  } catch {
    return now.toISOString();
  }
}


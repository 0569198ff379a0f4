/**
 * SIGNATURE (WSSE, Emarsys): the end user types an API user name and secret; Custodian makes a
 * UsernameToken from them, checks it once against the verification endpoint, and makes a new one
 * before `token.expires_in_ms` runs out, without calling the provider (upkeep `mint`). Requests sent
 * through `authorize` each get a token of their own: a WSSE server may refuse a nonce it has seen.
 */
import { z } from 'zod';
import { CustodianError, ConnectionConfigError } from '../../src/errors';
import type { ProviderEntry } from '../catalog-schema';
import type { SignatureCredentials } from '../credentials';
import type { AuthModeStrategy } from './auth-mode';
import { dateOf, expiryField, secretStrings } from './import-fields';
import { verifyToken, withToken } from './token-headers';
import { wsseUsernameToken } from './wsse';

// A quote or a control character would end the header's quoted Username early.
const USERNAME = /^[^"\p{Cc}]+$/u;

/** What `POST /auth/signature/:key` receives (the frontend SDK also sends `type: "SIGNATURE"`). */
const formBody = z.object({ type: z.literal('SIGNATURE').optional(), username: z.string().regex(USERNAME, 'must not contain quotes or control characters'), password: z.string().min(1) });

/** A `POST /connections` import: Nango's SIGNATURE credentials. */
const importSchema = z.strictObject({
  type: z.literal('SIGNATURE'),
  username: z.string().regex(USERNAME, 'must not contain quotes or control characters'),
  password: z.string().min(1),
  token: z.string().min(1).optional(),
  expires_at: expiryField.optional(),
});

/** The SIGNATURE strategy. */
export const signature: AuthModeStrategy<SignatureCredentials> = {
  authMode: 'SIGNATURE',
  // Nango's frontend posts to /auth/signature/; its published types name /auth/signature-based/.
  connect: { kind: 'form', routes: ['/auth/signature/:key', '/auth/signature-based/:key'], body: formBody },
  completing: 'checking the signed credentials',
  refusedAs: 'connection_test_failed',

  async complete(input, call) {
    const username = stringField(input.received, 'username');
    const password = stringField(input.received, 'password');
    const made = makeToken(input.entry, username, password, call.now);
    await verifyToken({ entry: input.entry, token: made.token, fields: { username, password }, connectionConfig: input.connectionConfig, secrets: [password] }, call);
    return { credentials: { type: 'SIGNATURE', username, password, token: made.token, expires_at: made.expiresAt.toISOString() }, expiresAt: made.expiresAt, connectionConfig: {} };
  },

  importSchema,
  fromImport(body, now) {
    const { username, password, token, expires_at: expiresAt } = importSchema.parse(body);
    // Without a token the credentials are due at once: the first upkeep or read makes one.
    return token === undefined ? { type: 'SIGNATURE', username, password, expires_at: now.toISOString() } : { type: 'SIGNATURE', username, password, token, expires_at: expiresAt ?? now.toISOString() };
  },
  checksImports: false,

  upkeep: () => ({ kind: 'mint', beforeExpiry: true }),

  renew(input, call) {
    const made = makeToken(input.entry, input.credentials.username, input.credentials.password, call.now);
    return Promise.resolve({ kind: 'renewed', credentials: { ...input.credentials, token: made.token, expires_at: made.expiresAt.toISOString() }, expiresAt: made.expiresAt, connectionConfig: {} });
  },

  expiresAt: (credentials) => dateOf(credentials.expires_at),

  authorize(request, input) {
    const { username, password } = input.credentials;
    const token = makeToken(input.entry, username, password, input.now).token;
    return withToken(request, { entry: input.entry, token, fields: { username, password }, connectionConfig: input.connectionConfig });
  },

  secretsOf: (credentials) => secretStrings(credentials.password, credentials.token),
};

function makeToken(entry: ProviderEntry, username: string, password: string, now: Date): { token: string; expiresAt: Date } {
  // The catalog schema requires both for SIGNATURE entries; another mode's entry reaching here is a bug.
  if (entry.signature?.protocol !== 'WSSE' || entry.token === undefined) throw new CustodianError('invalid_provider_catalog', `${entry.display_name} has no WSSE signature settings`);
  return { token: wsseUsernameToken(username, password, now), expiresAt: new Date(now.getTime() + entry.token.expires_in_ms) };
}

function stringField(received: Readonly<Record<string, unknown>>, name: 'username' | 'password'): string {
  const value = received[name];
  if (typeof value !== 'string' || value === '') throw new ConnectionConfigError('missing_connection_config', `Missing value for credentials.${name}`, ['credentials', name]);
  if (name === 'username' && !USERNAME.test(value)) throw new ConnectionConfigError('invalid_connection_config', 'Invalid value for credentials.username: must not contain quotes or control characters', ['credentials', name]);
  return value;
}

/**
 * The shape shared by modes whose end user types the credentials (API_KEY, BASIC): a form, a check
 * against the entry's verification endpoint before anything is stored (and now and then afterwards),
 * no expiry, and the credentials put on requests through the catalog's `proxy.headers`.
 */
import type { z } from 'zod';
import type { ProviderEntry } from '../catalog-schema';
import type { CredentialsOf } from '../credentials';
import type { AuthModeStrategy, CallContext, ConnectionConfig } from './auth-mode';
import { secretStrings } from './import-fields';
import { withProxyHeaders } from './outgoing-request';
import { sendVerification } from './send-verification';
import { buildVerificationRequest } from './verification-request';

type TypedMode = 'API_KEY' | 'BASIC';

export interface TypedCredentialsMode<M extends TypedMode> {
  readonly authMode: M;
  readonly route: string;
  /** What the end user submits. */
  readonly form: z.ZodType<Record<string, unknown>>;
  /** `POST /connections` import shape (with its `type`). */
  readonly importSchema: z.ZodType<Record<string, unknown>>;
  /** The stored credentials for a submitted form or an import body (both schema-checked). */
  toCredentials(values: Record<string, unknown>): CredentialsOf<M>;
  /** The legacy flat import body into credentials (throws a ValidationError naming the missing field). */
  fromLegacyImport(body: Readonly<Record<string, unknown>>): CredentialsOf<M>;
  /** Headers the mode sends unless the entry declares its own `authorization` (Basic auth). */
  implicitHeaders(credentials: CredentialsOf<M>): Readonly<Record<string, string>>;
}

/** A strategy for a mode whose credentials are typed in. */
export function typedCredentialsStrategy<M extends TypedMode>(mode: TypedCredentialsMode<M>): AuthModeStrategy<CredentialsOf<M>> {
  const fields = (credentials: CredentialsOf<M>): Record<string, unknown> => {
    return Object.fromEntries(Object.entries(credentials).filter(([name]) => name !== 'type'));
  };
  async function verify(entry: ProviderEntry, credentials: CredentialsOf<M>, connectionConfig: ConnectionConfig, call: CallContext): Promise<void> {
    const typed = fields(credentials);
    const request = buildVerificationRequest({ entry, credentials: typed, connectionConfig }, () => mode.implicitHeaders(credentials));
    if (request) await sendVerification(request, { provider: entry.display_name, ...call, secrets: secretStrings(...Object.values(typed)) });
  }
  return {
    authMode: mode.authMode,
    connect: { kind: 'form', routes: [mode.route], body: mode.form },
    completing: 'checking the credentials',
    refusedAs: 'connection_test_failed',
    async complete(input, call) {
      const credentials = mode.toCredentials(input.received as Record<string, unknown>);
      await verify(input.entry, credentials, input.connectionConfig, call);
      return { credentials, expiresAt: null, connectionConfig: {} };
    },
    importSchema: mode.importSchema,
    fromImport: (body) => mode.toCredentials(body),
    fromLegacyImport: (body) => mode.fromLegacyImport(body),
    checksImports: true,
    upkeep: (entry) => ({ kind: entry.proxy?.verification ? 'verify' : 'none', beforeExpiry: true }),
    async renew(input, call) {
      await verify(input.entry, input.credentials, input.connectionConfig, call);
      return { kind: 'verified' };
    },
    expiresAt: () => null,
    authorize: (request, { entry, credentials, connectionConfig }) => withProxyHeaders(request, entry, { credentials: fields(credentials), connectionConfig }, mode.implicitHeaders(credentials)),
    secretsOf: (credentials) => secretStrings(...Object.values(fields(credentials))),
  };
}

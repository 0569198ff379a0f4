/**
 * OAUTH2: the authorization code flow (RFC 6749 §4.1) with PKCE S256 (RFC 7636), kept valid with the
 * refresh token grant (§6).
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CustodianError, ValidationError } from '../../src/errors';
import type { ProviderEntry } from '../catalog-schema';
import type { OAuth2Credentials } from '../credentials';
import { ProviderCallError } from '../calls/provider-call-error';
import { interpolateUrl } from '../interpolate';
import type { AuthModeStrategy, BeginInput, CallContext, CompleteInput, Obtained, Redirect, RenewInput, RenewResult } from './auth-mode';
import { mergeAuthorizationParams } from './authorization-params';
import { AuthorizationError, requireClientForFlow, textOf } from './authorization-error';
import { dateOf, expiryField, rawField, secretStrings } from './import-fields';
import { exchangeAuthorizationCode, refreshAccessToken } from './oauth2-token-request';
import { withProxyHeaders } from './outgoing-request';
import { appendQuery } from './query-string';

const DEFAULT_SCOPE_SEPARATOR = ' ';
/** Longest accepted legacy `expires_in`: a century (a much larger one is past the last date JavaScript can represent). */
const MAX_EXPIRES_IN_SECONDS = 100 * 365 * 24 * 3600;

const importSchema = z.object({
  type: z.literal('OAUTH2'),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_at: expiryField.optional(),
  raw: rawField,
  config_override: rawField,
});

/** The OAUTH2 strategy. */
export const oauth2: AuthModeStrategy<OAuth2Credentials> = {
  authMode: 'OAUTH2',
  connect: { kind: 'redirect' },
  completing: 'exchanging the code',
  begin: async (input) => beginAuthorizationCode(input),
  complete,
  importSchema,
  fromImport: (body) => {
    const parsed = body as z.output<typeof importSchema>;
    return { ...parsed, raw: parsed.raw ?? {} };
  },
  fromLegacyImport,
  checksImports: false,
  upkeep: (_entry, credentials) => ({ kind: 'refresh', beforeExpiry: Boolean(credentials.refresh_token) }),
  renew,
  expiresAt: (credentials) => dateOf(credentials.expires_at),
  renewableUntil: (credentials, obtainedAt) => {
    const lifetime = Number(credentials.raw.refresh_token_expires_in);
    return Number.isFinite(lifetime) && lifetime > 0 ? new Date(obtainedAt.getTime() + lifetime * 1000) : null;
  },
  authorize: (request, { entry, credentials, connectionConfig }) =>
    withProxyHeaders(request, entry, { credentials: { accessToken: credentials.access_token, access_token: credentials.access_token }, connectionConfig }, { authorization: `Bearer ${credentials.access_token}` }),
  secretsOf: (credentials) => secretStrings(credentials.access_token, credentials.refresh_token),
};

/** Whether the authorization request must carry a PKCE challenge. */
export function requiresPkce(entry: ProviderEntry): boolean {
  return entry.disable_pkce !== true;
}

/**
 * The authorization redirect of the code flow (shared by the modes that build on it): a fresh PKCE
 * verifier kept on the attempt, and the provider URL with its challenge.
 */
export function beginAuthorizationCode(input: BeginInput, extraParams: ReadonlyMap<string, string> = new Map()): Redirect {
  const verifier = requiresPkce(input.entry) ? randomBytes(32).toString('base64url') : undefined;
  const codeChallenge = verifier === undefined ? undefined : createHash('sha256').update(verifier).digest('base64url');
  const url = authorizationCodeUrl({ ...input, clientId: input.client.clientId ?? '', codeChallenge }, extraParams);
  return { url, attemptSecrets: verifier === undefined ? {} : { pkceVerifier: verifier } };
}

/** Input of {@link authorizationCodeUrl}. */
export interface AuthorizationCodeUrlInput extends Omit<BeginInput, 'client' | 'authorizationParams'> {
  readonly clientId: string;
  readonly authorizationParams?: Readonly<Record<string, string>>;
  /** BASE64URL(SHA-256(code_verifier)); required unless the entry has `disable_pkce`. */
  readonly codeChallenge?: string;
}

/** The provider URL of the authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3). */
export function authorizationCodeUrl(input: AuthorizationCodeUrlInput, extraParams: ReadonlyMap<string, string> = new Map()): string {
  const { entry, codeChallenge } = input;
  if (entry.authorization_url === undefined) throw new CustodianError('missing_authorization_url', 'The provider has no authorization_url');
  const separator = entry.scope_separator ?? DEFAULT_SCOPE_SEPARATOR;
  const params = new Map<string, string>([
    ['response_type', 'code'],
    ['client_id', input.clientId],
    ['redirect_uri', input.redirectUri],
  ]);
  if (input.scopes.length > 0) params.set('scope', input.scopes.join(separator));
  params.set('state', input.state);
  mergeAuthorizationParams(params, input);
  if (input.userScope !== undefined && input.userScope.length > 0) params.set('user_scope', input.userScope.join(separator));
  if (requiresPkce(entry)) {
    if (codeChallenge === undefined) throw new CustodianError('missing_code_challenge', 'PKCE is required for this provider but no code challenge was given');
    params.set('code_challenge', codeChallenge);
    params.set('code_challenge_method', 'S256');
  }
  for (const [name, value] of extraParams) params.set(name, value);
  return appendQuery(interpolateUrl(entry.authorization_url, input), params);
}

async function complete(input: CompleteInput, call: CallContext): Promise<Obtained<OAuth2Credentials>> {
  const { entry, received } = input;
  const denied = textOf(received.error);
  if (denied) {
    const description = textOf(received.error_description);
    throw new AuthorizationError('authorization_denied', `The provider answered ${denied.slice(0, 64)}${description ? `: ${description.slice(0, 200)}` : ''}`);
  }
  const code = textOf(received.code);
  if (!code) throw new AuthorizationError('missing_code', 'The callback carried no authorization code');
  const tokens = await exchangeAuthorizationCode({
    entry,
    ...requireClientForFlow(input.client),
    code,
    redirectUri: input.redirectUri,
    codeVerifier: input.attemptSecrets.pkceVerifier,
    connectionConfig: input.connectionConfig,
    ...call,
  });
  return {
    credentials: { type: 'OAUTH2', access_token: tokens.accessToken, refresh_token: tokens.refreshToken, expires_at: tokens.expiresAt?.toISOString(), raw: tokens.raw },
    expiresAt: tokens.expiresAt,
    connectionConfig: { ...redirectUriMetadata(entry, received), ...tokens.connectionConfig },
  };
}

async function renew(input: RenewInput<OAuth2Credentials>, call: CallContext): Promise<RenewResult<OAuth2Credentials>> {
  const { credentials } = input;
  if (!credentials.refresh_token) throw new ProviderCallError('missing_refresh_token', 'permanent', 'The token expired and the connection has no refresh token');
  const tokens = await refreshAccessToken({ entry: input.entry, ...requireClientForRenewal(input.client), refreshToken: credentials.refresh_token, connectionConfig: input.connectionConfig, ...call });
  return {
    kind: 'renewed',
    credentials: {
      ...credentials,
      access_token: tokens.accessToken,
      // A provider that does not rotate refresh tokens omits it: keep the one we have.
      refresh_token: tokens.refreshToken ?? credentials.refresh_token,
      expires_at: tokens.expiresAt?.toISOString(),
      raw: tokens.raw,
    },
    expiresAt: tokens.expiresAt,
    connectionConfig: tokens.connectionConfig,
  };
}

/** The integration's OAuth client, or a permanent refusal of the upkeep step (nothing to retry). */
export function requireClientForRenewal(client: { clientId: string | null; clientSecret: string | null }): { clientId: string; clientSecret: string } {
  if (client.clientId === null || client.clientSecret === null) throw new ProviderCallError('integration_missing_client', 'permanent', 'The integration has no OAuth client id or secret');
  return { clientId: client.clientId, clientSecret: client.clientSecret };
}

function fromLegacyImport(body: Readonly<Record<string, unknown>>, now: Date): OAuth2Credentials {
  const accessToken = textOf(body.access_token);
  if (!accessToken) throw missingLegacyField('access_token', 'OAUTH2');
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? Math.min(body.expires_in, MAX_EXPIRES_IN_SECONDS) : undefined;
  const expiresAt = body.no_expiration === true ? undefined : (textOf(body.expires_at) ?? (expiresIn ? new Date(now.getTime() + expiresIn * 1000).toISOString() : undefined));
  return { type: 'OAUTH2', access_token: accessToken, refresh_token: textOf(body.refresh_token), expires_at: expiresAt, raw: (body.raw as Record<string, unknown> | undefined) ?? {} };
}

/** The legacy import's refusal of a body that lacks what its mode needs. */
export function missingLegacyField(field: string, authMode: string): ValidationError {
  return new ValidationError('invalid_body', `${field} is required for a ${authMode} integration`, { errors: [{ code: 'invalid_type', message: 'Required', path: [field] }] });
}

/** Values the provider put on the callback URL that the catalog names (`realmId` for QuickBooks…). */
export function redirectUriMetadata(entry: Pick<ProviderEntry, 'redirect_uri_metadata'>, received: Readonly<Record<string, unknown>>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const key of entry.redirect_uri_metadata ?? []) {
    const value = received[key];
    if (typeof value === 'string' && value !== '') metadata[key] = value.slice(0, 1024);
  }
  return metadata;
}

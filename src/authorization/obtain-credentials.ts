/**
 * Turns what an authorization attempt received into credentials, per auth mode: the OAuth 2.0 code
 * exchange, the OAuth 1.0a verifier exchange, a client-credentials mint, or a check of a typed API key / basic pair against the
 * provider. Pure provider I/O; failures surface as ProviderCallError or AuthorizationError.
 */
import type { ProviderEntry } from '../../providers/catalog-schema';
import { strategyFor } from '../../providers/auth-modes';
import { exchangeVerifier } from '../../providers/auth-modes/oauth1-token-request';
import { exchangeAuthorizationCode, mintClientCredentialsToken } from '../../providers/auth-modes/oauth2-token-request';
import { sendVerification } from '../../providers/auth-modes/send-verification';
import type { Credentials } from '../connections/credentials';
import type { CodeWithStatus } from '../error-catalogue';
import { CustodianError } from '../errors';

/** The attempt failed for a reason of the flow itself (denied by the user, missing code…). */
export class AuthorizationError extends CustodianError {
  constructor(code: CodeWithStatus<400>, message?: string) {
    super(code, message);
  }
}

export interface ObtainInput {
  entry: ProviderEntry;
  authMode: string;
  /** Decrypted: the callback's query (redirect flows) or the submitted credentials (direct flows). */
  received: Record<string, unknown>;
  pkceVerifier: string | null;
  /** OAuth 1.0a: the secret of the request token obtained when the attempt began. */
  requestTokenSecret?: string | null;
  redirectUri: string;
  clientId: string | null;
  clientSecret: string | null;
  scopes: readonly string[];
  connectionConfig: Record<string, unknown>;
  now: Date;
  /** One provider call's limit (PROVIDER_TIMEOUT or the entry's `request_timeout`). */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** ALLOW_PRIVATE_NETWORK_TARGETS is off: provider hosts taken from connection config may not be private. */
  refusePrivateUserHosts?: boolean;
}

export interface Obtained {
  credentials: Credentials;
  expiresAt: Date | null;
  /** Token response metadata to merge into the connection config. */
  connectionConfig: Record<string, unknown>;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Exchanges, mints or verifies what an attempt received, per its auth mode. */
export async function obtainCredentials(input: ObtainInput): Promise<Obtained> {
  const { entry, received } = input;
  switch (input.authMode) {
    case 'OAUTH2': {
      const denied = text(received.error);
      if (denied) throw new AuthorizationError('authorization_denied', `The provider answered ${denied.slice(0, 64)}${text(received.error_description) ? `: ${String(received.error_description).slice(0, 200)}` : ''}`);
      const code = text(received.code);
      if (!code) throw new AuthorizationError('missing_code', 'The callback carried no authorization code');
      const tokens = await exchangeAuthorizationCode({
        entry,
        clientId: required(input.clientId),
        clientSecret: required(input.clientSecret),
        code,
        redirectUri: input.redirectUri,
        codeVerifier: input.pkceVerifier ?? undefined,
        connectionConfig: input.connectionConfig,
        now: input.now,
        timeoutMs: input.timeoutMs, refusePrivateUserHosts: input.refusePrivateUserHosts,
        fetch: input.fetch,
      });
      return {
        credentials: { type: 'OAUTH2', access_token: tokens.accessToken, refresh_token: tokens.refreshToken, expires_at: tokens.expiresAt?.toISOString(), raw: tokens.raw },
        expiresAt: tokens.expiresAt,
        connectionConfig: { ...redirectUriMetadata(entry, received), ...tokens.connectionConfig },
      };
    }
    case 'OAUTH1': {
      // A user who refuses is sent back with `denied=<request token>` (X / Twitter) instead of a verifier.
      if (text(received.denied) !== undefined) throw new AuthorizationError('authorization_denied', 'The user denied the authorization');
      const requestToken = text(received.oauth_token);
      const verifier = text(received.oauth_verifier);
      if (!requestToken || !verifier) throw new AuthorizationError('missing_verifier', 'The callback carried no oauth_token and oauth_verifier');
      if (!input.requestTokenSecret) throw new AuthorizationError('missing_request_token', 'The attempt holds no request token secret');
      // The callback's oauth_token is not compared with ours: only the request token we were issued is
      // signed with its secret, so the provider refuses any other one (and a wrong verifier).
      const tokens = await exchangeVerifier({
        entry,
        consumerKey: required(input.clientId),
        consumerSecret: required(input.clientSecret),
        requestToken,
        requestTokenSecret: input.requestTokenSecret,
        verifier,
        connectionConfig: input.connectionConfig,
        timeoutMs: input.timeoutMs, refusePrivateUserHosts: input.refusePrivateUserHosts,
        fetch: input.fetch,
      });
      return { credentials: { type: 'OAUTH1', oauth_token: tokens.oauthToken, oauth_token_secret: tokens.oauthTokenSecret, raw: tokens.raw }, expiresAt: null, connectionConfig: {} };
    }
    case 'OAUTH2_CC': {
      const clientId = text(received.client_id);
      const clientSecret = text(received.client_secret);
      if (!clientId || !clientSecret) throw new AuthorizationError('invalid_credentials', 'client_id and client_secret are required');
      const tokens = await mintClientCredentialsToken({ entry, clientId, clientSecret, scopes: input.scopes, connectionConfig: input.connectionConfig, now: input.now, timeoutMs: input.timeoutMs, refusePrivateUserHosts: input.refusePrivateUserHosts, fetch: input.fetch });
      return {
        credentials: { type: 'OAUTH2_CC', token: tokens.accessToken, expires_at: tokens.expiresAt?.toISOString(), client_id: clientId, client_secret: clientSecret, raw: tokens.raw },
        expiresAt: tokens.expiresAt,
        connectionConfig: tokens.connectionConfig,
      };
    }
    case 'API_KEY':
    case 'BASIC': {
      const credentials: Credentials =
        input.authMode === 'API_KEY'
          ? { type: 'API_KEY', apiKey: text(received.apiKey) ?? missing('apiKey') }
          : { type: 'BASIC', username: text(received.username) ?? missing('username'), password: typeof received.password === 'string' ? received.password : '' };
      const { type: _type, ...typed } = credentials;
      const request = strategyFor(credentials.type).buildVerificationRequest({ entry, credentials: typed, connectionConfig: input.connectionConfig });
      const secrets = Object.values(typed).filter((value): value is string => typeof value === 'string');
      if (request) await sendVerification(request, { provider: entry.display_name, timeoutMs: input.timeoutMs, refusePrivateUserHosts: input.refusePrivateUserHosts, secrets, fetch: input.fetch });
      return { credentials, expiresAt: null, connectionConfig: {} };
    }
    case 'NONE':
      return { credentials: { type: 'NONE' }, expiresAt: null, connectionConfig: {} };
    default:
      throw new AuthorizationError('invalid_auth_mode', `Authorization for ${input.authMode} is not available yet`);
  }
}

/** Values the provider put on the callback URL that the catalog names (`realmId` for QuickBooks…). */
export function redirectUriMetadata(entry: Pick<ProviderEntry, 'redirect_uri_metadata'>, received: Record<string, unknown>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const key of entry.redirect_uri_metadata ?? []) {
    const value = received[key];
    if (typeof value === 'string' && value !== '') metadata[key] = value.slice(0, 1024);
  }
  return metadata;
}

function required(value: string | null): string {
  if (value === null) throw new AuthorizationError('integration_missing_client', 'The integration has no OAuth client id or secret');
  return value;
}

function missing(field: string): never {
  throw new AuthorizationError('invalid_credentials', `${field} is required`);
}

/**
 * One upkeep step for a connection's credentials, per auth mode: OAUTH2 refresh_token grant,
 * OAUTH2_CC re-mint, API_KEY / BASIC / OAUTH1 verification. Pure provider I/O: no database here.
 * Provider failures surface as ProviderCallError (transient or permanent).
 */
import type { ProviderEntry } from '../../providers/catalog-schema';
import { strategyFor } from '../../providers/auth-modes';
import { twoStep } from '../../providers/auth-modes/two-step';
import { mintClientCredentialsToken, refreshAccessToken } from '../../providers/auth-modes/oauth2-token-request';
import { oauth1AuthorizationHeader } from '../../providers/auth-modes/oauth1-signing';
import { ProviderCallError } from '../../providers/calls/provider-call-error';
import { sendVerification } from '../../providers/auth-modes/send-verification';
import { buildVerificationRequest } from '../../providers/auth-modes/verification-request';
import type { UpkeepKind } from '../../activities/connection-activity-types';
import type { Credentials, OAuth1Credentials } from './credentials';

export interface RenewInput {
  entry: ProviderEntry;
  credentials: Credentials;
  connectionConfig: Record<string, unknown>;
  /** The integration's OAuth client. */
  clientId: string | null;
  clientSecret: string | null;
  scopes: readonly string[];
  now: Date;
  /** One provider call's limit (PROVIDER_TIMEOUT or the entry's `request_timeout`). */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** ALLOW_PRIVATE_NETWORK_TARGETS is off: provider hosts taken from connection config may not be private. */
  refusePrivateUserHosts?: boolean;
}

export type RenewResult =
  | { kind: 'renewed'; credentials: Credentials; expiresAt: Date | null; connectionConfig: Record<string, unknown> }
  | { kind: 'verified' };

/** How a connection of this auth mode is kept valid. */
export function upkeepKind(entry: ProviderEntry, credentials: Credentials): UpkeepKind {
  switch (credentials.type) {
    case 'OAUTH2':
      return 'refresh';
    case 'OAUTH2_CC':
      return 'mint';
    case 'API_KEY':
    case 'BASIC':
      return entry.proxy?.verification ? 'verify' : 'none';
    case 'OAUTH1':
      // RSA-SHA1 cannot be signed (see oauth1-signing.ts): checking would fail every day without saying
      // anything about the credentials, so such connections are left alone, like ones without verification.
      return entry.proxy?.verification && entry.signature_method !== 'RSA-SHA1' ? 'verify' : 'none';
    case 'NONE':
      return 'none';
    case 'TWO_STEP':
      return twoStep.upkeep(entry, credentials).kind;
  }
}

/** One upkeep step: refresh, re-mint or verify, per the credentials' type. */
export async function renewCredentials(input: RenewInput): Promise<RenewResult> {
  const { credentials, entry } = input;
  switch (credentials.type) {
    case 'OAUTH2': {
      if (!credentials.refresh_token) throw new ProviderCallError('missing_refresh_token', 'permanent', 'The token expired and the connection has no refresh token');
      const tokens = await refreshAccessToken({
        entry,
        clientId: requireClient(input.clientId),
        clientSecret: requireClient(input.clientSecret),
        refreshToken: credentials.refresh_token,
        connectionConfig: input.connectionConfig,
        now: input.now,
        timeoutMs: input.timeoutMs, refusePrivateUserHosts: input.refusePrivateUserHosts,
        fetch: input.fetch,
      });
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
    case 'OAUTH2_CC': {
      const tokens = await mintClientCredentialsToken({
        entry,
        clientId: credentials.client_id,
        clientSecret: credentials.client_secret,
        scopes: input.scopes,
        connectionConfig: input.connectionConfig,
        now: input.now,
        timeoutMs: input.timeoutMs, refusePrivateUserHosts: input.refusePrivateUserHosts,
        fetch: input.fetch,
      });
      return {
        kind: 'renewed',
        credentials: { ...credentials, token: tokens.accessToken, expires_at: tokens.expiresAt?.toISOString(), raw: tokens.raw },
        expiresAt: tokens.expiresAt,
        connectionConfig: tokens.connectionConfig,
      };
    }
    case 'API_KEY':
    case 'BASIC': {
      const strategy = strategyFor(credentials.type);
      const { type: _type, ...typed } = credentials;
      const request = strategy.buildVerificationRequest({ entry, credentials: typed, connectionConfig: input.connectionConfig });
      if (request) await sendVerification(request, verificationOptions(input, Object.values(typed)));
      return { kind: 'verified' };
    }
    case 'OAUTH1':
      await verifyOAuth1(input, credentials);
      return { kind: 'verified' };
    case 'NONE':
      return { kind: 'verified' };
    case 'TWO_STEP':
      // Transitional: the full strategy does its own upkeep (the generic code will call it for every mode).
      return twoStep.renew(
        { entry, credentials, connectionConfig: input.connectionConfig, client: { clientId: input.clientId, clientSecret: input.clientSecret, scopes: input.scopes, custom: {} } },
        { now: input.now, timeoutMs: input.timeoutMs, refusePrivateUserHosts: input.refusePrivateUserHosts, fetch: input.fetch },
      );
  }
}

/**
 * Sends the entry's verification request signed with the connection's token (consumer = the
 * integration's client), unless the entry declares its own authorization header. A 401/403 is a
 * permanent `credentials_rejected` (sendVerification).
 */
async function verifyOAuth1(input: RenewInput, credentials: OAuth1Credentials): Promise<void> {
  const verificationInput = {
    entry: input.entry,
    credentials: { oauth_token: credentials.oauth_token, oauth_token_secret: credentials.oauth_token_secret },
    connectionConfig: input.connectionConfig,
  };
  // The signature covers the method and URL, which only the built request knows: build it once to learn
  // them, then again with the signed header as the implicit one (signed only if the entry declares none).
  const unsigned = buildVerificationRequest(verificationInput);
  if (!unsigned) return;
  const request = buildVerificationRequest(verificationInput, () => ({
    authorization: oauth1AuthorizationHeader({
      method: unsigned.method,
      url: unsigned.url,
      consumerKey: requireClient(input.clientId),
      consumerSecret: requireClient(input.clientSecret),
      token: credentials.oauth_token,
      tokenSecret: credentials.oauth_token_secret,
      signatureMethod: input.entry.signature_method,
    }),
  }));
  if (request) await sendVerification(request, verificationOptions(input, [credentials.oauth_token, credentials.oauth_token_secret, input.clientSecret ?? '']));
}

function verificationOptions(input: RenewInput, secrets: readonly unknown[]) {
  return { provider: input.entry.display_name, timeoutMs: input.timeoutMs, refusePrivateUserHosts: input.refusePrivateUserHosts, secrets: secrets.filter((value): value is string => typeof value === 'string'), fetch: input.fetch };
}

function requireClient(value: string | null): string {
  if (value === null) throw new ProviderCallError('integration_missing_client', 'permanent', 'The integration has no OAuth client id or secret');
  return value;
}

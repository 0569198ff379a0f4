/**
 * The interface every auth-mode strategy implements, chosen from a catalog entry's `auth_mode`
 * (see index.ts). Each mode adds the steps it has; steps that later issues fill are listed as
 * commented slots so their shape is agreed before they exist.
 */
import type { AuthMode, ProviderEntry } from '../catalog-schema';

/** Connection config as received from the caller (`params[...]`, token response metadata…). */
export type ConnectionConfig = Readonly<Record<string, unknown>>;

/** What every strategy has. */
export interface AuthModeStrategy<M extends AuthMode = AuthMode> {
  readonly authMode: M;
}

/** Input of the OAuth 2.0 authorization redirect. */
export interface OAuth2AuthorizationInput {
  readonly entry: ProviderEntry;
  readonly clientId: string;
  readonly redirectUri: string;
  /** The integration's scopes (its `default_scopes` were applied when it was created). */
  readonly scopes: readonly string[];
  /** Opaque value bound to the attempt (the attempt id). */
  readonly state: string;
  /** BASE64URL(SHA-256(code_verifier)); required unless the entry has `disable_pkce`. */
  readonly codeChallenge?: string;
  readonly connectionConfig: ConnectionConfig;
  /** The caller's `authorization_params[...]`, merged over the catalog's. */
  readonly authorizationParams?: Readonly<Record<string, string>>;
  /** Slack-style user scopes, sent as `user_scope`. */
  readonly userScope?: readonly string[];
}

/** Input of the OAuth 1.0a authorization redirect (after the request token was obtained). */
export interface OAuth1AuthorizationInput {
  readonly entry: ProviderEntry;
  /** `oauth_token` returned by the provider's `request_url`. */
  readonly requestToken: string;
  readonly connectionConfig: ConnectionConfig;
  /** Scopes, for providers that take them on the authorize URL (Trello). */
  readonly scopes?: readonly string[];
  readonly authorizationParams?: Readonly<Record<string, string>>;
}

/** Input of a credentials check for API_KEY / BASIC. */
export interface VerificationInput {
  readonly entry: ProviderEntry;
  /** `{ apiKey }` or `{ username, password }`. */
  readonly credentials: Readonly<Record<string, unknown>>;
  readonly connectionConfig: ConnectionConfig;
}

/** An HTTP request that proves credentials work (2xx = valid). Header names are lower-case. */
export interface VerificationRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Set when the URL's host comes from connection config (checked against the private network when sent). */
  readonly userChosenHost?: true;
}

/** OAuth 2.0 authorization code flow (with PKCE S256 unless the entry disables it). */
export interface OAuth2Strategy extends AuthModeStrategy<'OAUTH2'> {
  /** Whether the authorization request must carry a PKCE challenge. */
  requiresPkce(entry: ProviderEntry): boolean;
  /** The provider URL to send the browser to. */
  buildAuthorizationUrl(input: OAuth2AuthorizationInput): string;
  // Code exchange and refresh: exchangeAuthorizationCode() / refreshAccessToken() in ./oauth2-token-request.
  // verify(input: { entry; accessToken; connectionConfig }): Promise<VerifyResult>;
}

/**
 * OAuth 2.0 client credentials grant. Minting (which also serves as refresh): mintClientCredentialsToken()
 * in ./oauth2-token-request. Slots for later issues:
 *   verify(input: { entry; token; connectionConfig }): Promise<VerifyResult>;
 */
export type OAuth2ClientCredentialsStrategy = AuthModeStrategy<'OAUTH2_CC'>;

/** OAuth 1.0a three-legged flow. */
export interface OAuth1Strategy extends AuthModeStrategy<'OAUTH1'> {
  /** The provider URL to send the browser to, for a request token already obtained. */
  buildAuthorizationUrl(input: OAuth1AuthorizationInput): string;
  // getRequestToken(input: { entry; consumerKey; consumerSecret; callbackUrl; connectionConfig }): Promise<{ token; tokenSecret }>;
  // exchangeCode(input: { entry; consumerKey; consumerSecret; requestToken; requestTokenSecret; verifier }): Promise<OAuth1TokenSet>;
  // verify(input: { entry; token; tokenSecret; connectionConfig }): Promise<VerifyResult>;
}

/** Credentials typed in by the end user (API_KEY, BASIC). */
export interface CredentialsStrategy<M extends 'API_KEY' | 'BASIC'> extends AuthModeStrategy<M> {
  /** The request that checks the credentials, or null when the provider declares no verification. */
  buildVerificationRequest(input: VerificationInput): VerificationRequest | null;
  // verify(input: VerificationInput): Promise<VerifyResult>; (sends the request above)
}

/** No credentials at all: nothing to obtain, refresh or verify. */
export type NoneStrategy = AuthModeStrategy<'NONE'>;

/** The strategy for each auth mode. */
export interface AuthModeStrategies {
  OAUTH2: OAuth2Strategy;
  OAUTH2_CC: OAuth2ClientCredentialsStrategy;
  OAUTH1: OAuth1Strategy;
  API_KEY: CredentialsStrategy<'API_KEY'>;
  BASIC: CredentialsStrategy<'BASIC'>;
  NONE: NoneStrategy;
}

/**
 * The interface every auth-mode strategy implements, chosen from a catalog entry's `auth_mode` (see
 * index.ts). A strategy owns what its mode does: begin an authorization (a redirect, a form, or
 * nothing), complete it into credentials, keep them valid, say when they expire, and put them on an
 * outgoing request. Generic code calls these and never switches on a mode.
 *
 * Strategies are pure provider I/O: no database, no Temporal. What must be kept between two steps
 * (a PKCE verifier, a request token secret, a registered client) is handed back to the caller, which
 * stores it encrypted.
 */
import type { z } from 'zod';
import type { AuthMode, ProviderEntry } from '../catalog-schema';
import type { Credentials, Upkeep } from '../credentials';

/** Connection config as received from the caller (`params[...]`, token response metadata…). */
export type ConnectionConfig = Readonly<Record<string, unknown>>;

/** What every provider call of a step needs. */
export interface CallContext {
  /** The clock expiries are computed from (the workflow's, in the connection workflow). */
  readonly now: Date;
  /** One provider call's limit (PROVIDER_TIMEOUT or the entry's `request_timeout`). */
  readonly timeoutMs: number;
  /** ALLOW_PRIVATE_NETWORK_TARGETS is off: hosts taken from connection config may not be private. */
  readonly refusePrivateUserHosts?: boolean;
  readonly fetch?: typeof fetch;
}

/** The integration's side of every connection: its OAuth client and its mode-specific settings, decrypted. */
export interface IntegrationClient {
  readonly clientId: string | null;
  readonly clientSecret: string | null;
  /** The integration's scopes (its `default_scopes` were applied when it was created). */
  readonly scopes: readonly string[];
  /**
   * Mode-specific settings kept encrypted on the integration: a GitHub App's id and private key, an MCP
   * client registered on first use… (`{}` when there are none).
   */
  readonly custom: Readonly<Record<string, string>>;
}

/** What the end user does to connect in this mode. */
export type ConnectStyle =
  /** The browser is sent to the provider and comes back to `GET /oauth/callback` (or another callback route of ours). */
  | {
      readonly kind: 'redirect';
      /**
       * More `GET` routes the provider may send the browser back to, handled exactly like `/oauth/callback`
       * (a GitHub App's setup URL, `/app-auth/connect`, as Nango names it: an app set up for Nango works unchanged).
       */
      readonly callbackRoutes?: readonly string[];
      /**
       * The callback query parameter carrying the attempt id when the provider cannot send it back as
       * `state` (Crisp's plugin install passes it through as `payload`).
       */
      readonly stateParameter?: string;
    }
  /**
   * The end user submits credentials (possibly none) to one of `routes` (`POST`, session token), which are
   * checked against `body` and completed at once.
   */
  | { readonly kind: 'form'; readonly routes: readonly string[]; readonly body: z.ZodType<Record<string, unknown>> };

/** Input of the first step of a redirect flow. */
export interface BeginInput {
  readonly entry: ProviderEntry;
  readonly client: IntegrationClient;
  /** Our callback URL for this environment. */
  readonly redirectUri: string;
  /** Opaque value bound to the attempt (the attempt id). */
  readonly state: string;
  /** Scopes to ask for: the integration's, or the session's `oauth_scopes_override`. */
  readonly scopes: readonly string[];
  readonly connectionConfig: ConnectionConfig;
  /** The caller's `authorization_params[...]` under the session's pinned ones. */
  readonly authorizationParams: Readonly<Record<string, string>>;
  /** Slack-style user scopes, sent as `user_scope`. */
  readonly userScope?: readonly string[];
  /**
   * The https URL at which Custodian serves this integration's OAuth Client ID Metadata Document (MCP
   * modes use it as their `client_id`); absent when SERVER_URL is not a public https URL.
   */
  readonly clientMetadataUrl?: string;
}

/** Where to send the browser, and what to keep until the callback. */
export interface Redirect {
  readonly url: string;
  /** Secrets kept encrypted on the attempt until it completes (PKCE verifier, OAuth 1.0a request token secret…). */
  readonly attemptSecrets: Readonly<Record<string, string>>;
  /** Connection config learned on the way (an MCP server's discovered endpoints), merged into the attempt's. */
  readonly connectionConfig?: Readonly<Record<string, unknown>>;
  /** New mode-specific settings to store on the integration (an MCP client registered on first use). */
  readonly integrationCustom?: Readonly<Record<string, string>>;
}

/** Input of the step that turns what an attempt received into credentials. */
export interface CompleteInput {
  readonly entry: ProviderEntry;
  readonly client: IntegrationClient;
  /** The callback's query (redirect flows) or the submitted form (form flows), as received. */
  readonly received: Readonly<Record<string, unknown>>;
  /** What `begin` asked to keep (`{}` for form flows). */
  readonly attemptSecrets: Readonly<Record<string, string>>;
  readonly redirectUri: string;
  readonly connectionConfig: ConnectionConfig;
}

/** Credentials obtained by an authorization, before they are stored. */
export interface Obtained<C extends Credentials = Credentials> {
  readonly credentials: C;
  readonly expiresAt: Date | null;
  /** Values to merge into the connection config (token response metadata, callback values). */
  readonly connectionConfig: Record<string, unknown>;
}

/** Input of one upkeep step. */
export interface RenewInput<C extends Credentials = Credentials> {
  readonly entry: ProviderEntry;
  readonly credentials: C;
  readonly connectionConfig: ConnectionConfig;
  readonly client: IntegrationClient;
}

export type RenewResult<C extends Credentials = Credentials> =
  | { readonly kind: 'renewed'; readonly credentials: C; readonly expiresAt: Date | null; readonly connectionConfig: Record<string, unknown> }
  | { readonly kind: 'verified' };

/** A request to the provider's API, before credentials are put on it. Header names are lower-case. */
export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** The body when it is known whole (form parameters are signed by OAuth 1.0a); absent when streamed. */
  readonly body?: Uint8Array;
}

/** Input of {@link AuthModeStrategy.authorize}. */
export interface AuthorizeInput<C extends Credentials = Credentials> {
  readonly entry: ProviderEntry;
  readonly credentials: C;
  readonly connectionConfig: ConnectionConfig;
  readonly client: IntegrationClient;
  readonly now: Date;
}

/** What an integration stores of a mode's settings (POST / PATCH /integrations `credentials`). */
export interface IntegrationSettings {
  readonly clientId: string | null;
  /** Plaintext; stored encrypted. */
  readonly clientSecret: string | null;
  /** Absent: the integration keeps its scopes (or gets the entry's `default_scopes`). */
  readonly scopes?: readonly string[];
  /** Mode-specific settings that are not secret (a GitHub App's id and link). */
  readonly custom: Readonly<Record<string, string>>;
  /** Mode-specific secrets (a GitHub App's private key); stored encrypted, never shown again. */
  readonly customSecrets: Readonly<Record<string, string>>;
}

/**
 * The `credentials` an integration of this mode takes, when they are not an OAuth client
 * (`{type, client_id, client_secret, scopes}`, the default).
 */
export interface IntegrationCredentialsShape {
  /** Schema of the body's `credentials`, with its `type` literal. */
  readonly schema: z.ZodType<Record<string, unknown>>;
  /** What the integration stores for credentials that passed `schema`. */
  toSettings(credentials: Record<string, unknown>): IntegrationSettings;
  /** What `include=credentials` shows: every setting but the secrets (shown as null). */
  present(client: IntegrationClient): Record<string, unknown>;
}

/** What one auth mode does. `C` is its credentials shape. */
export interface AuthModeStrategy<C extends Credentials = Credentials> {
  readonly authMode: AuthMode;
  readonly connect: ConnectStyle;
  /** What the operation log says while an attempt completes ("exchanging the code", "checking the credentials"…). */
  readonly completing: string;
  /**
   * The error code an attempt fails with when the provider refuses what the end user typed
   * (`connection_test_failed` for keys and passwords); otherwise the provider's own code.
   */
  readonly refusedAs?: string;
  /**
   * The credentials `type` Nango's API answers for this mode, when it is not the mode itself (MCP
   * connections are OAUTH2 there, and `@nangohq/node`'s getToken() reads the access token only of that type).
   */
  readonly presentedType?: string;
  /**
   * Keys of the stored credentials that no answer shows (kept only to renew them: the private key a
   * TWO_STEP assertion is signed with). Nango does not keep such values at all.
   */
  readonly concealed?: readonly string[];
  /** A read with `refresh_github_app_jwt_token=true` renews these credentials (GitHub App modes: a new app JWT and token). */
  readonly renewsOnAppJwtRefresh?: true;
  /**
   * Custodian serves a Client ID Metadata Document for this mode's integrations, at the URL `begin`
   * receives as `clientMetadataUrl` (MCP modes present it as their `client_id`).
   */
  readonly servesClientMetadata?: boolean;

  /** Redirect flows: where to send the browser (may call the provider first: a request token, discovery, registration). */
  begin?(input: BeginInput, call: CallContext): Promise<Redirect>;
  /** Turns the callback or the form into credentials: a code exchange, a token request, a check of typed credentials. */
  complete(input: CompleteInput, call: CallContext): Promise<Obtained<C>>;

  /** The integration credentials this mode takes, when they are not an OAuth client. */
  readonly integrationCredentials?: IntegrationCredentialsShape;

  /** Schema of these credentials in a `POST /connections` import (with its `type` literal). */
  readonly importSchema: z.ZodType<Record<string, unknown>>;
  /** The stored credentials for an import body that passed `importSchema`. */
  fromImport(body: Record<string, unknown>, now: Date): C;
  /** The legacy flat `POST /connection` body, or absent when the mode cannot be imported that way. */
  fromLegacyImport?(body: Readonly<Record<string, unknown>>, now: Date): C;
  /**
   * Whether imported credentials are checked with the provider before they are stored (typed keys and
   * passwords are; tokens a provider issued are not).
   */
  readonly checksImports: boolean;

  /** How these credentials are kept valid. */
  upkeep(entry: ProviderEntry, credentials: C): Upkeep;
  /** One upkeep step: refresh, re-mint, re-sign or verify. */
  renew(input: RenewInput<C>, call: CallContext): Promise<RenewResult<C>>;
  /**
   * When the means of renewal itself expires (a refresh token with its own lifetime), counted from when
   * these credentials were obtained; absent or null: unknown, or never.
   */
  renewableUntil?(credentials: C, obtainedAt: Date): Date | null;
  /** When these credentials stop working (null: never, or unknown). */
  expiresAt(credentials: C): Date | null;
  /** The request with these credentials on it (headers, query or signature). */
  authorize(request: OutgoingRequest, input: AuthorizeInput<C>): OutgoingRequest;
  /** Every secret string in these credentials (for redaction and history audits). */
  secretsOf(credentials: C): string[];
}

/** Input of a verification request (a typed credentials check). */
export interface VerificationInput {
  readonly entry: ProviderEntry;
  /** `{ apiKey }`, `{ username, password }`, `{ oauth_token, oauth_token_secret }`… */
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

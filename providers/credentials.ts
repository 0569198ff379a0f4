/**
 * The credentials a connection holds, one shape per auth mode (API.md §2), as stored (encrypted) on
 * its row and returned by `GET /connections/:id`. Dates are ISO strings; `raw` is the provider's
 * answer as received. Each auth-mode module owns its shape; this union names them all.
 */

export interface OAuth2Credentials {
  type: 'OAUTH2';
  access_token: string;
  refresh_token?: string;
  expires_at?: string;
  raw: Record<string, unknown>;
  config_override?: Record<string, unknown>;
}

/**
 * An MCP server's OAuth 2.1 token set (MCP_OAUTH2, MCP_OAUTH2_GENERIC): the OAUTH2 fields under the
 * mode's own `type`. What a refresh needs besides (the registered client's id, the resource, a
 * discovered token endpoint) is kept, non-secret, in the connection config.
 */
export interface McpOAuth2Credentials {
  type: 'MCP_OAUTH2' | 'MCP_OAUTH2_GENERIC';
  access_token: string;
  refresh_token?: string;
  expires_at?: string;
  raw: Record<string, unknown>;
}

export interface OAuth2ClientCredentials {
  type: 'OAUTH2_CC';
  token: string;
  expires_at?: string;
  client_id: string;
  client_secret: string;
  raw: Record<string, unknown>;
}

export interface OAuth1Credentials {
  type: 'OAUTH1';
  oauth_token: string;
  oauth_token_secret: string;
  raw: Record<string, unknown>;
}

export interface ApiKeyCredentials {
  type: 'API_KEY';
  apiKey: string;
}

export interface BasicCredentials {
  type: 'BASIC';
  username: string;
  password: string;
}

export interface NoCredentials {
  type: 'NONE';
}

/** APP: a GitHub App installation access token, minted with the app's JWT (Nango's `AppCredentials`). */
export interface AppCredentials {
  type: 'APP';
  /** The installation access token (`ghs_…`); empty until the first mint of an import. */
  access_token: string;
  expires_at?: string;
  /** The installation token response as received (`token`, `expires_at`, `permissions`, `repository_selection`…). */
  raw: Record<string, unknown>;
  /** The app JWT this token was minted with (valid about ten minutes; Nango's `jwtToken`). */
  jwtToken?: string;
  /** Ours: the installation the token is for (imports carry it in credentials, as Nango's do). */
  installation_id: string;
}

/** CUSTOM: a GitHub App installation plus the user who installed it (Nango's `CombinedOauth2AppCredentials`). */
export interface CustomCredentials {
  type: 'CUSTOM';
  app: AppCredentials;
  /** The user's OAuth token; null when none was obtained (an update without a code) or its refresh was refused. */
  user: OAuth2Credentials | null;
  /** Nango repeats the app credentials here. */
  raw: Record<string, unknown>;
}


/**
 * TWO_STEP (Nango's shape): the token a templated token request returned, its expiry and refresh token,
 * the response as received, and, flat beside them, the credentials the end user typed (which obtain the
 * next token). `assertionOption` holds values given only to build an assertion (a private key).
 */
export interface TwoStepCredentials {
  type: 'TWO_STEP';
  token: string;
  refresh_token?: string;
  expires_at?: string;
  raw: Record<string, unknown>;
  [field: string]: unknown;
}


export type Credentials = OAuth2Credentials | OAuth2ClientCredentials | OAuth1Credentials | ApiKeyCredentials | BasicCredentials | NoCredentials | McpOAuth2Credentials | AppCredentials | CustomCredentials | TwoStepCredentials;

/** The credentials shape whose `type` is `T`. */
export type CredentialsOf<T extends Credentials['type']> = Extract<Credentials, { type: T }>;

/** A token set as a provider's token endpoint returned it, normalised (no connection-specific state). */
export interface TokenSet {
  accessToken: string;
  /** Absent when the response carried none (the caller then keeps the old one). */
  refreshToken?: string;
  /** null: the token does not expire (no `expires_in`, no JWT `exp`). */
  expiresAt: Date | null;
  /** The response body as received. */
  raw: Record<string, unknown>;
  /** Values named by the catalog's `token_response_metadata`, to merge into `connection_config`. */
  connectionConfig: Record<string, unknown>;
}

/**
 * How a connection's credentials are kept valid:
 * - `refresh`: a provider call that spends a single-use secret (an OAuth 2.0 refresh token);
 * - `mint`: obtained again from what is stored, repeatable (client credentials, a two-step request, a local JWT signature);
 * - `verify`: checked against the provider now and then (API keys, basic, OAuth 1.0a tokens);
 * - `none`: nothing to do.
 */
export type UpkeepKind = 'refresh' | 'mint' | 'verify' | 'none';

/** A connection's upkeep as its strategy sees it. */
export interface Upkeep {
  readonly kind: UpkeepKind;
  /**
   * Whether the upkeep can run before the credentials expire. False for an OAuth 2.0 token without a
   * refresh token: the workflow acts at expiry, so the loss is reported.
   */
  readonly beforeExpiry: boolean;
}

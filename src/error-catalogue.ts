/**
 * The one catalogue of error codes: each code's HTTP status, default message and meaning. Every
 * error Custodian throws carries one of these codes and takes its status from here; no route or
 * service picks a status itself. The README's "Error codes" tables are checked against this file.
 *
 * Kinds:
 * - `request`: the caller's request is wrong (4xx); the thrown message is shown.
 * - `dependency`: something Custodian depends on is down or silent (502/503/504); the default
 *   message is shown, never the thrown one, and 503s carry `Retry-After`.
 * - `internal`: a bug or a broken deployment (500); answered as `server_error` with an error id.
 * - `reason`: recorded by workflows and the operation log (refresh failure reasons, authorization
 *   failure codes of providers); not an answer the API gives on purpose. `status` is what the API
 *   answers should one reach it (a refusal is the caller's to fix: 400; a provider failing: 502).
 *
 * `variants`: the same wire code answered with another status in a named situation API.md fixes
 * (`invalid_credentials` is 424 while backing off; `unknown_connection` is 404 on metadata writes).
 */

/** How a code is used; see the file comment. */
export type ErrorKind = 'request' | 'dependency' | 'internal' | 'reason';

interface CatalogueEntry {
  readonly status: number;
  readonly kind: ErrorKind;
  /** Shown when the thrower gives no message, and always for 5xx answers. */
  readonly message: string;
  /** When the code is used (the README's "meaning" column). */
  readonly meaning: string;
  /**
   * The thrown message is shown although the status is a 5xx: it names the provider that failed (the caller
   * can do nothing about it, but should know whom to wait for) and passed the provider call's redaction.
   */
  readonly showsMessage?: boolean;
  /** Seconds sent in `Retry-After` (dependency codes). */
  readonly retryAfterSeconds?: number;
  readonly variants?: Readonly<Record<string, { readonly status: number; readonly meaning: string }>>;
}

// How long a caller should wait before retrying when a dependency is down: PostgreSQL and Temporal
// restarts measured here take well under this.
const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

export const ERROR_CATALOGUE = {
  // Authentication (API.md §0)
  missing_auth_header: { status: 401, kind: 'request', message: 'Authentication is required', meaning: 'no `Authorization` header (nor `connect_session_token`)' },
  malformed_auth_header: { status: 401, kind: 'request', message: 'Authorization header must be "Bearer <secret key>"', meaning: '`Authorization` is not `Bearer <token>`' },
  invalid_secret_key_format: { status: 401, kind: 'request', message: 'The secret key must be a UUID v4', meaning: 'the bearer token is not a UUID v4' },
  unknown_account: { status: 401, kind: 'request', message: 'No environment has this secret key', meaning: 'a well-formed secret key no environment has' },
  secret_key_superseded: { status: 403, kind: 'request', message: 'Only the current secret key can rotate it', meaning: 'a secret key rotation asked with the key an earlier rotation replaced (still valid during its overlap)' },
  unknown_connect_session_token: { status: 401, kind: 'request', message: 'Unknown or expired connect session token', meaning: 'a connect session token that is unknown or expired' },
  invalid_connect_session_token_format: { status: 401, kind: 'request', message: 'Connect session token is malformed', meaning: 'a malformed connect session token, or none on a session-only route' },

  // Request validation
  invalid_body: { status: 400, kind: 'request', message: 'Invalid request body', meaning: 'the JSON body fails its schema (`errors[]` lists each problem with its path)' },
  invalid_query_params: { status: 400, kind: 'request', message: 'Invalid query parameters', meaning: 'the query string fails its schema' },
  invalid_uri_params: { status: 400, kind: 'request', message: 'Invalid URI parameters', meaning: 'a path parameter fails its schema' },
  invalid_headers: { status: 400, kind: 'request', message: 'Invalid request headers', meaning: 'a required header is missing or malformed (proxy)' },
  unsupported_provider: { status: 400, kind: 'request', message: 'The provider cannot be proxied', meaning: 'a proxy call to a provider without `proxy.base_url` in the catalog and no `Base-Url-Override`' },
  invalid_json: { status: 400, kind: 'request', message: 'Request body is not valid JSON', meaning: 'the body is not parseable JSON' },
  invalid_string: { status: 400, kind: 'request', message: 'A string holds a NUL byte or a lone surrogate', meaning: 'a string value PostgreSQL cannot store (NUL byte, lone UTF-16 surrogate)' },
  metadata_too_large: { status: 400, kind: 'request', message: 'Connection metadata is too large', meaning: 'a connection\'s metadata exceeds its size limit' },
  too_many_connection_ids: { status: 400, kind: 'request', message: 'Too many connection ids in one request', meaning: 'a metadata write names more connection ids than allowed at once' },
  origin_not_allowed: { status: 403, kind: 'request', message: 'This origin may not open the WebSocket', meaning: 'a browser WebSocket whose `Origin` is not in `WEBSOCKET_ALLOWED_ORIGINS`' },
  rate_limited: { status: 429, kind: 'request', message: 'Too many requests; retry later', meaning: 'a per-IP, per-session or WebSocket limit was reached (`Retry-After` says when to retry)' },
  bad_request: { status: 400, kind: 'request', message: 'Bad request', meaning: 'any other malformed HTTP request' },
  headers_too_large: { status: 431, kind: 'request', message: 'Request headers are larger than 16 KB', meaning: 'the request\'s headers exceed Node\'s 16 KB limit' },
  request_timeout: { status: 408, kind: 'request', message: 'The request was not received in time', meaning: 'the client sent its request too slowly' },
  invalid_content_type: { status: 415, kind: 'request', message: 'Content-Type must be application/json', meaning: 'a body on a JSON route with another `Content-Type`' },
  payload_too_large: { status: 413, kind: 'request', message: 'Request body is larger than 1 MB', meaning: 'a body over 1 MB' },
  not_found: { status: 404, kind: 'request', message: 'Not found', meaning: 'no such route, integration, connection, provider or asset' },
  method_not_allowed: { status: 405, kind: 'request', message: 'Method not allowed', meaning: 'the route exists, not with this method' },

  // Integrations, connections, authorization
  unknown_provider_config: {
    status: 400,
    kind: 'request',
    message: 'There is no integration with this provider_config_key',
    meaning: 'the `provider_config_key` names no integration (connection routes, direct auth flows)',
    variants: { not_found: { status: 404, meaning: 'the same on routes where API.md answers 404 (proxy)' } },
  },
  unknown_connection: {
    status: 400,
    kind: 'request',
    message: 'The connection does not exist',
    meaning: 'DELETE of a connection that does not exist',
    variants: { not_found: { status: 404, meaning: 'a metadata write naming a connection id that does not exist (nothing is written)' } },
  },
  invalid_credentials: {
    status: 400,
    kind: 'request',
    message: 'The connection credentials are invalid',
    meaning: 'the connection is invalid or its refresh failed now (`payload.connection` without credentials); also missing client credentials in a direct flow',
    variants: { backing_off: { status: 424, meaning: 'a refresh failed less than 30 s ago; retry later or pass `force_refresh=true`' } },
  },
  connection_test_failed: { status: 400, kind: 'request', message: 'The provider did not accept the credentials', meaning: 'an API key or basic pair the provider\'s verification endpoint refused' },
  integration_not_allowed: { status: 400, kind: 'request', message: 'This session cannot connect this integration', meaning: 'the integration is outside the session\'s allowed list (or not the reconnect session\'s)' },
  invalid_auth_mode: { status: 400, kind: 'request', message: 'The integration uses another auth mode', meaning: 'a direct flow for an integration of another auth mode' },
  integration_missing_client: { status: 400, kind: 'request', message: 'The integration has no OAuth client id or secret', meaning: 'an OAuth flow on an integration without client credentials' },
  missing_connection_config: { status: 400, kind: 'request', message: 'A connection configuration value is missing', meaning: 'a provider template needs a `connection_config` value that was not given' },
  invalid_connection_config: { status: 400, kind: 'request', message: 'A connection configuration value is invalid', meaning: 'a `connection_config` value outside its field\'s pattern' },
  invalid_aws_sigv4_config: { status: 400, kind: 'request', message: 'The integration\'s AWS SigV4 settings are incomplete', meaning: 'an AWS_SIGV4 connection on an integration without its service, STS mode and STS credentials, or with a malformed region' },
  invalid_signing_key: { status: 400, kind: 'request', message: 'The key cannot sign', meaning: 'a JWT signing key that is not a PEM private key of the entry\'s key family, or an HMAC secret not in its encoding' },
  pinned_by_session: { status: 400, kind: 'request', message: 'This value is set by the connect session', meaning: 'a browser `params[…]`, `authorization_params[…]` or `user_scope` that differs from what the connect session pins (`errors[]` names the field)' },
  private_network_target: { status: 400, kind: 'request', message: 'A connection configuration value points into the private network', meaning: 'a provider host taken from `connection_config` is loopback, private, link-local or reserved while ALLOW_PRIVATE_NETWORK_TARGETS is off' },
  provider_not_in_catalog: { status: 409, kind: 'request', message: 'The integration\'s provider is not in the catalog', meaning: 'the integration names a provider the loaded catalog no longer has' },
  authorization_denied: { status: 400, kind: 'request', message: 'The authorization was denied', meaning: 'the user or the provider refused the authorization' },
  missing_code: { status: 400, kind: 'request', message: 'The callback carried no authorization code', meaning: 'an OAuth 2.0 callback without `code`' },
  missing_verifier: { status: 400, kind: 'request', message: 'The callback carried no oauth_token and oauth_verifier', meaning: 'an OAuth 1.0a callback without verifier' },
  missing_request_token: { status: 400, kind: 'request', message: 'The attempt holds no request token', meaning: 'an OAuth 1.0a attempt that never obtained a request token' },
  authorization_failed: { status: 400, kind: 'request', message: 'The connection could not be made', meaning: 'an authorization attempt failed for another reason' },
  callback_not_bound: { status: 400, kind: 'request', message: 'This authorization was started in another browser', meaning: 'an OAuth callback from a browser without the attempt\'s binding cookie (callback page; the attempt stays pending)' },
  invalid_state: { status: 400, kind: 'request', message: 'This authorization link is invalid, expired or has already been used', meaning: 'an OAuth callback whose `state` is unknown, expired or already used (callback page)' },
  integration_missing_app: { status: 400, kind: 'request', message: 'The integration has no GitHub App id and private key', meaning: 'an APP or CUSTOM flow on an integration without its GitHub App\'s `app_id` and `private_key` (or `app_link`)' },
  app_installation_not_accessible: { status: 400, kind: 'request', message: 'The installation is not one the authorizing user can access', meaning: 'a CUSTOM (GitHub App with user authorization) callback naming an installation that GitHub does not list for the user who authorized' },
  app_installation_missing: { status: 400, kind: 'request', message: 'The callback carried no installation_id', meaning: 'a GitHub App callback without `installation_id` (`setup_action=request`: an organisation owner has yet to approve the installation)' },
  mcp_discovery_failed: { status: 400, kind: 'request', message: 'The MCP server\'s authorization could not be discovered', meaning: 'the MCP server publishes no usable protected-resource (RFC 9728) or authorization-server metadata (RFC 8414, OpenID discovery)' },
  mcp_pkce_unsupported: { status: 400, kind: 'request', message: 'The MCP authorization server does not support PKCE S256', meaning: 'the MCP authorization server\'s metadata lacks `S256` in `code_challenge_methods_supported` (the MCP spec forbids proceeding)' },
  mcp_registration_failed: { status: 400, kind: 'request', message: 'The MCP authorization server refused the client registration', meaning: 'an RFC 7591 dynamic client registration was refused, or answered without a `client_id`' },
  mcp_no_client: { status: 400, kind: 'request', message: 'No OAuth client can be used with this MCP authorization server', meaning: 'no client id on the integration, no Client ID Metadata Document the server accepts, and no registration endpoint' },

  // Dependencies
  provider_unreachable: { status: 502, kind: 'dependency', showsMessage: true, message: 'The provider could not be reached', meaning: 'the provider refused the connection, reset it or could not be resolved' },
  provider_timeout: { status: 504, kind: 'dependency', showsMessage: true, message: 'The provider did not answer in time', meaning: 'the provider did not answer within the timeout' },
  database_unavailable: {
    status: 503,
    kind: 'dependency',
    message: 'The database is unavailable; retry later',
    meaning: 'PostgreSQL cannot be reached (refused, reset, restarting, pool timeout)',
    retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
  },
  temporal_unavailable: {
    status: 503,
    kind: 'dependency',
    message: 'Temporal is unavailable; retry later',
    meaning: 'Temporal is needed (a refresh, an authorization, a deletion) and cannot be reached',
    retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
  },
  workflow_migration_pending: {
    status: 503,
    kind: 'dependency',
    message: 'This connection\'s workflow is being migrated; retry in a moment',
    meaning: 'the connection\'s encoded workflow id is still held by another connection\'s legacy workflow until a worker\'s start-up migration moves it',
    retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
  },
  authorization_pending: {
    status: 503,
    kind: 'dependency',
    message: 'The authorization is taking too long; retry in a moment',
    meaning: 'a direct flow\'s authorization workflow did not finish in 60 s (no worker, or a slow provider)',
    retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
  },
  not_ready: {
    status: 503,
    kind: 'dependency',
    message: 'A dependency is unreachable',
    meaning: '`/health/ready`: `payload.checks` says which of database and Temporal is unreachable',
    retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
  },
  server_error: { status: 500, kind: 'internal', message: 'An unexpected error occurred', meaning: 'a bug: no stack, no secret; `payload.error_id` names the log line' },

  // Internal: start-up, CLI, catalog and template errors; reaching the API they are a bug (500 `server_error`).
  invalid_config: { status: 500, kind: 'internal', message: 'Invalid configuration', meaning: 'a bad environment variable (start-up)' },
  secret_key_mismatch: { status: 500, kind: 'internal', message: 'CUSTODIAN_SECRET_KEY differs from the dev environment\'s key', meaning: 'start-up' },
  unknown_key_id: { status: 500, kind: 'internal', message: 'An encrypted value uses an unknown key id', meaning: 'decryption' },
  malformed_ciphertext: { status: 500, kind: 'internal', message: 'An encrypted value is malformed', meaning: 'decryption' },
  decryption_failed: { status: 500, kind: 'internal', message: 'An encrypted value failed authentication', meaning: 'decryption (tampered, or moved from another row or column)' },
  legacy_ciphertext: { status: 500, kind: 'internal', message: 'An encrypted value has no associated data', meaning: 'decryption, ENCRYPTION_REFUSE_LEGACY set before keys:rotate finished' },
  key_rotation_failed: { status: 500, kind: 'internal', message: 'A value could not be re-encrypted', meaning: '`keys:rotate`' },
  invalid_provider_catalog: { status: 500, kind: 'internal', message: 'A provider catalog entry is invalid', meaning: 'catalog load' },
  invalid_template: { status: 500, kind: 'internal', message: 'A provider template is invalid', meaning: 'catalog template' },
  missing_token_url: { status: 500, kind: 'internal', message: 'The provider has no token_url', meaning: 'catalog entry' },
  missing_request_url: { status: 500, kind: 'internal', message: 'The provider has no request_url', meaning: 'catalog entry (OAuth 1.0a)' },
  missing_authorization_url: { status: 500, kind: 'internal', message: 'The provider has no authorization_url', meaning: 'catalog entry' },
  missing_code_challenge: { status: 500, kind: 'internal', message: 'PKCE is required but no code challenge was given', meaning: 'authorization URL' },
  unsupported_signature_method: { status: 500, kind: 'internal', message: 'This OAuth 1.0a signature method is not supported', meaning: 'OAuth 1.0a RSA-SHA1' },
  token_request_not_sent: { status: 500, kind: 'internal', message: 'The token request was not sent', meaning: 'openid-client refused the request before sending it' },
  request_token_failed: { status: 500, kind: 'internal', message: 'The request token could not be obtained', meaning: 'OAuth 1.0a request token, unexpected failure' },
  missing_credentials: { status: 500, kind: 'internal', message: 'No credentials were obtained for this attempt', meaning: 'an authorization workflow storing an attempt that has none' },

  // Reasons: refresh and authorization outcomes recorded by workflows and the operation log.
  provider_server_error: { status: 502, kind: 'reason', message: 'The provider answered with a server error', meaning: 'a 5xx from the provider (transient: retried)' },
  provider_rate_limited: { status: 502, kind: 'reason', message: 'The provider is rate limiting', meaning: 'a 429 from the provider (transient: retried after `Retry-After`)' },
  provider_malformed_response: { status: 502, kind: 'reason', message: 'The provider answered without a usable token', meaning: 'a 2xx without a usable body (transient: retried)' },
  invalid_grant: { status: 400, kind: 'reason', message: 'The provider refused the grant', meaning: 'OAuth `invalid_grant` (permanent: connection invalid)' },
  invalid_client: { status: 400, kind: 'reason', message: 'The provider refused the client', meaning: 'OAuth `invalid_client` (permanent)' },
  unauthorized_client: { status: 400, kind: 'reason', message: 'The client may not use this grant', meaning: 'OAuth `unauthorized_client` (permanent)' },
  provider_rejected: { status: 400, kind: 'reason', message: 'The provider refused the request', meaning: 'another 4xx or OAuth error body (permanent)' },
  credentials_rejected: { status: 400, kind: 'reason', message: 'The provider rejected the credentials', meaning: 'a verification endpoint answered 401/403 (permanent)' },
  app_installation_not_found: { status: 400, kind: 'reason', message: 'The GitHub App installation does not exist', meaning: 'the installation token endpoint answered 404: the app was uninstalled or the installation id is wrong (permanent)' },
  missing_refresh_token: { status: 400, kind: 'reason', message: 'The token expired and the connection has no refresh token', meaning: 'an expiring OAUTH2 token without refresh token' },
  refresh_response_lost: { status: 400, kind: 'reason', message: 'The provider refused a refresh whose earlier response was lost', meaning: '`invalid_grant` after a rotating refresh whose response never arrived' },
  reported_invalid: { status: 400, kind: 'reason', message: 'The credentials were reported invalid', meaning: 'the `markInvalid` signal' },
  refresh_failed: { status: 502, kind: 'reason', message: 'The refresh failed', meaning: 'a refresh failure without a more specific code' },
  connection_deleted: { status: 400, kind: 'reason', message: 'The connection was deleted', meaning: 'a refresh asked of a deleted connection' },
  authorization_timeout: { status: 400, kind: 'reason', message: 'The authorization was not completed in time', meaning: 'no callback within 15 minutes (callback page, WebSocket `error_type`)' },
  webhook_retryable: { status: 502, kind: 'reason', message: 'The webhook target failed; retrying', meaning: 'a webhook attempt met a network error, a 5xx, 408 or 429 (retried)' },
  webhook_rejected: { status: 502, kind: 'reason', message: 'The webhook target refused the webhook', meaning: 'another 4xx from the webhook target (not retried)' },
  webhook_blocked: { status: 400, kind: 'reason', message: 'The webhook target is not allowed', meaning: 'the target resolves to a private address while those are refused (not retried)' },
} as const satisfies Record<string, CatalogueEntry>;

/** Every code Custodian throws: a code outside the catalogue is a type error. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The named variants a code has (`never` for most). */
export type ErrorVariant<C extends ErrorCode> = C extends ErrorCode
  ? (typeof ERROR_CATALOGUE)[C] extends { readonly variants: infer V }
    ? keyof V & string
    : never
  : never;

/** Codes whose base status is `S` (e.g. the 400s a ValidationError may carry). */
export type CodeWithStatus<S extends number> = { [C in ErrorCode]: (typeof ERROR_CATALOGUE)[C]['status'] extends S ? C : never }[ErrorCode];

/** Codes that answer 404, as their base status or through their `not_found` variant. */
export type NotFoundCode = CodeWithStatus<404> | { [C in ErrorCode]: 'not_found' extends ErrorVariant<C> ? C : never }[ErrorCode];

/** Whether a string (from a workflow result, a database row…) is a catalogued code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}

/** The catalogue entry of a code. */
export function catalogueEntry(code: ErrorCode): CatalogueEntry {
  return ERROR_CATALOGUE[code];
}

/** The HTTP status of a code, or of its named variant. */
export function statusOf(code: ErrorCode, variant?: string): number {
  const entry: CatalogueEntry = ERROR_CATALOGUE[code];
  if (variant === undefined) return entry.status;
  const chosen = entry.variants?.[variant];
  if (!chosen) throw new TypeError(`error code ${code} has no variant "${variant}"`);
  return chosen.status;
}

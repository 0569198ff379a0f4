/**
 * Calls to an OAuth 2.0 token endpoint (RFC 6749 §4.1.3, §4.4, §6) through openid-client: the
 * authorization code exchange, the refresh, and the client credentials grant. Each answer is
 * normalised into a {@link TokenSet}; each failure becomes a {@link ProviderCallError}.
 *
 * openid-client builds the request (client authentication, headers, body); our `customFetch` sends it
 * through {@link callProvider} and keeps what it made of the answer, because openid-client's response
 * checks are stricter than many providers (it requires `token_type` to be `bearer`, HTTP 200 exactly, a
 * JSON content-type, and validates any `id_token` against an issuer we only guess), and its errors
 * carry the token response in their `cause`. Those errors are therefore dropped, never re-thrown.
 */
import { Configuration, ClientSecretPost, None, allowInsecureRequests, customFetch, genericGrantRequest } from 'openid-client';
import type { ClientAuth, CustomFetchOptions } from 'openid-client';
import { CustodianError, type ErrorCode } from '../../src/errors';
import type { TokenSet } from '../credentials';
import { callProvider, type ProviderAnswer, type ProviderFetch } from '../calls/call-provider';
import { ProviderCallError } from '../calls/provider-call-error';
import type { ProviderEntry, TokenParamValue } from '../catalog-schema';
import { interpolateParam, interpolateUrl } from '../interpolate';
import { hostKeysOf } from '../user-hosts';
import { parseTemplate, placeholdersOf } from '../template';
import type { ConnectionConfig } from './auth-mode';
import { jwtExpiry } from './token-response-paths';

/** A fetch implementation (the global one by default). */
export type TokenFetch = ProviderFetch;

/** What every token endpoint call takes. */
export interface TokenRequestInput {
  readonly entry: ProviderEntry;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly connectionConfig: ConnectionConfig;
  /** The caller's clock (a workflow's time): `expiresAt` is computed from it, never from `Date.now()`. */
  readonly now: Date;
  readonly fetch?: TokenFetch;
  /** Limit for the whole call, reading the body included (PROVIDER_TIMEOUT or the entry's `request_timeout`). */
  readonly timeoutMs: number;
  /** ALLOW_PRIVATE_NETWORK_TARGETS is off: a token URL whose host comes from connection config may not reach the private network. */
  readonly refusePrivateUserHosts?: boolean;
  /** Parameters every request of this grant carries besides its own (RFC 8707 `resource`, for MCP servers). */
  readonly extraParams?: Readonly<Record<string, string>>;
  /** Client authentication overriding the entry's: a registered client's `token_endpoint_auth_method` (`none`: a public client). */
  readonly clientAuthMethod?: ClientAuthMethod;
  /** The token URL is written out yet its host came from an end user (discovered from the MCP server they named). */
  readonly userChosenHost?: boolean;
}

/** RFC 7591 `token_endpoint_auth_method` values Custodian can use. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** Input of {@link refreshAccessToken}. */
export interface RefreshAccessTokenInput extends TokenRequestInput {
  readonly refreshToken: string;
}

/** Input of {@link exchangeAuthorizationCode}. */
export interface ExchangeAuthorizationCodeInput extends TokenRequestInput {
  readonly code: string;
  /** Exactly the redirect URI sent in the authorization request. */
  readonly redirectUri: string;
  /** PKCE verifier, when the authorization request carried a challenge. */
  readonly codeVerifier?: string;
}

/** Input of {@link mintClientCredentialsToken}. */
export interface MintClientCredentialsTokenInput extends TokenRequestInput {
  readonly scopes: readonly string[];
}

/** Lifetime assumed for a client credentials token whose response states none: minting again is cheap, so assume short. */
export const CLIENT_CREDENTIALS_DEFAULT_LIFETIME_MS = 55 * 60 * 1000;

const DEFAULT_SCOPE_SEPARATOR = ' ';
// OAuth error codes that mean the grant or the client itself is refused (RFC 6749 §5.2).
const REFUSAL_CODES = new Set<string>(['invalid_grant', 'invalid_client', 'unauthorized_client'] satisfies ErrorCode[]);
// Error codes that say "try again later" even on a 4xx or 2xx (RFC 6749 §4.1.2.1 defines them; some token endpoints reuse them).
const TEMPORARY_ERRORS = new Set(['temporarily_unavailable', 'server_error']);
const MAX_ERROR_CODE_LENGTH = 64;
// Set by the grant itself; a catalog parameter of the same name would contradict the request.
const GRANT_PARAMETERS = new Set(['grant_type', 'client_id', 'client_secret', 'refresh_token', 'code', 'redirect_uri', 'code_verifier']);
// Fake providers in tests are plain-HTTP servers on the loopback interface; nothing else may skip TLS.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Refresh token grant (RFC 6749 §6) at `refresh_url`, else `token_url`, with `refresh_params`, else
 * `token_params`. No scope is sent: the refreshed token keeps the granted ones.
 */
export function refreshAccessToken(input: RefreshAccessTokenInput): Promise<TokenSet> {
  const { entry } = input;
  return requestToken(input, {
    url: entry.refresh_url ?? requiredTokenUrl(entry),
    grantType: 'refresh_token',
    params: { ...extraParams(entry.refresh_params ?? entry.token_params, input), refresh_token: input.refreshToken },
    secrets: [input.refreshToken],
  });
}

/** Authorization code grant (RFC 6749 §4.1.3) at `token_url` with `token_params`; sends the PKCE verifier when given. */
export function exchangeAuthorizationCode(input: ExchangeAuthorizationCodeInput): Promise<TokenSet> {
  const params: Record<string, string> = { ...extraParams(input.entry.token_params, input), code: input.code, redirect_uri: input.redirectUri };
  if (input.codeVerifier !== undefined) params['code_verifier'] = input.codeVerifier;
  return requestToken(input, {
    url: requiredTokenUrl(input.entry),
    grantType: 'authorization_code',
    params,
    secrets: [input.code, input.codeVerifier ?? ''],
  });
}

/**
 * Client credentials grant (RFC 6749 §4.4) at `token_url` with `token_params` and the scopes joined by
 * `scope_separator`. The grant type is `token_params.grant_type` when the entry sets one (Zoom's
 * `account_credentials`). A response without expiry gets {@link CLIENT_CREDENTIALS_DEFAULT_LIFETIME_MS}:
 * a client credentials token is never refreshed, only minted again, so "does not expire" would keep a
 * revoked token forever.
 */
export async function mintClientCredentialsToken(input: MintClientCredentialsTokenInput): Promise<TokenSet> {
  const { entry } = input;
  const params = extraParams(entry.token_params, input);
  if (input.scopes.length > 0) params['scope'] = input.scopes.join(entry.scope_separator ?? DEFAULT_SCOPE_SEPARATOR);
  const tokenSet = await requestToken(input, {
    url: requiredTokenUrl(entry),
    grantType: stringParam(entry.token_params?.['grant_type']) ?? 'client_credentials',
    params,
    secrets: [],
  });
  return tokenSet.expiresAt === null ? { ...tokenSet, expiresAt: new Date(input.now.getTime() + CLIENT_CREDENTIALS_DEFAULT_LIFETIME_MS) } : tokenSet;
}

interface GrantRequest {
  /** URL template (connection config placeholders). */
  readonly url: string;
  readonly grantType: string;
  readonly params: Record<string, string>;
  /** Values the call sends besides the client secret, kept out of error messages. */
  readonly secrets: readonly string[];
}

interface Capture {
  answer?: ProviderAnswer;
  failure?: ProviderCallError;
}

async function requestToken(input: TokenRequestInput, request: GrantRequest): Promise<TokenSet> {
  const endpoint = interpolateUrl(request.url, input);
  const capture: Capture = {};
  const userChosen = input.userChosenHost === true || hostKeysOf(request.url, input.connectionConfig) !== undefined;
  const refusePrivateTargets = input.refusePrivateUserHosts === true && userChosen;
  const config = configurationFor(input, { endpoint, secrets: [input.clientSecret, ...request.secrets], refusePrivateTargets }, capture);
  let rejection: unknown;
  try {
    await genericGrantRequest(config, request.grantType, request.params);
  } catch (error) {
    rejection = error;
  }
  if (capture.failure) throw capture.failure;
  const answer = capture.answer;
  if (!answer) {
    // openid-client refused before sending (e.g. a non-https URL): a configuration problem, not a provider one.
    const reason = rejection instanceof Error ? rejection.message : String(rejection);
    throw new CustodianError('token_request_not_sent', `The token request to ${new URL(endpoint).origin} was not sent: ${reason}`, { cause: rejection });
  }
  return normaliseTokenResponse(answer, input);
}

interface Target {
  readonly endpoint: string;
  /** Everything secret the request carries (the client secret, the refresh token, the code…). */
  readonly secrets: readonly string[];
  readonly refusePrivateTargets: boolean;
}

function configurationFor(input: TokenRequestInput, target: Target, capture: Capture): Configuration {
  const url = new URL(target.endpoint);
  // Nango's `authorization_method: header` (simple-oauth2's option) also means client_secret_basic (Notion, Airtable, Reddit).
  const basic = input.entry.token_request_auth_method === 'basic' || input.entry.authorization_method === 'header';
  const method = input.clientAuthMethod ?? (basic ? 'client_secret_basic' : 'client_secret_post');
  const clientAuth =
    method === 'none' ? None() : method === 'client_secret_basic' ? plainClientSecretBasic(input.clientId, input.clientSecret) : ClientSecretPost(input.clientSecret);
  // No discovery: the catalog names the token endpoint, and most providers publish no metadata.
  const config = new Configuration({ issuer: url.origin, token_endpoint: target.endpoint }, input.clientId, undefined, clientAuth);
  // Deprecated only to stand out; plain http is allowed for loopback fake providers alone (see LOOPBACK_HOSTS).
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) allowInsecureRequests(config);
  // callProvider's own timeout bounds the call, reading the body included.
  config.timeout = undefined;
  config[customFetch] = capturingFetch(input, target, capture);
  return config;
}

/**
 * `Authorization: Basic base64(id:secret)` with the values as they are (RFC 7617), as Nango sends it.
 * openid-client's ClientSecretBasic form-encodes both first (RFC 6749 §2.3.1), even `-` and `.`, which
 * providers that do not decode them refuse; client ids with dashes (UUIDs: Xero, Zoom, DocuSign) are common.
 */
function plainClientSecretBasic(clientId: string, clientSecret: string): ClientAuth {
  return (_as, _client, _body, headers) => {
    headers.set('authorization', `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`);
  };
}

function capturingFetch(input: TokenRequestInput, target: Target, capture: Capture) {
  return async (url: string, options: CustomFetchOptions): Promise<Response> => {
    const { method, headers, body, query } = encodeBody(options, input.entry);
    try {
      capture.answer = await callProvider({
        provider: input.entry.display_name,
        endpoint: 'token endpoint',
        url: query === undefined ? url : withQuery(url, query),
        method,
        headers,
        body,
        redirect: options.redirect,
        timeoutMs: input.timeoutMs,
        refusePrivateTargets: target.refusePrivateTargets,
        // The Basic credentials hide the client secret from a plain search, and a provider could echo them encoded.
        secrets: [...target.secrets, (headers['authorization'] ?? '').replace(/^Basic /i, '')],
        describeBody: (text) => describe(oauthErrorOf(text)),
        now: input.now,
        fetch: input.fetch,
      });
    } catch (error) {
      if (error instanceof ProviderCallError) capture.failure = error;
      throw error;
    }
    // openid-client reads this copy (and fails on it where it is stricter than providers); the captured answer decides.
    return new Response(capture.answer.body, { status: capture.answer.status, headers: capture.answer.headers });
  };
}

interface EncodedRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string | URLSearchParams;
  /** Parameters to send in the URL's query instead of a body. */
  readonly query?: URLSearchParams;
}

function encodeBody(options: CustomFetchOptions, entry: ProviderEntry): EncodedRequest {
  const { method, headers } = options;
  const body = typeof options.body === 'string' || options.body instanceof URLSearchParams ? options.body : undefined;
  if (!(body instanceof URLSearchParams) || (entry.body_format !== 'json' && entry.body_format !== 'query')) return { method, headers, body };
  if (entry.body_format === 'query') {
    // The catalog schema allows `query` only for a client credentials grant with Basic client authentication: nothing secret goes into the URL.
    const { 'content-type': _contentType, ...rest } = headers;
    return { method, headers: rest, query: body };
  }
  // openid-client only builds form bodies; providers with `body_format: json` (Notion) want the same fields as JSON.
  return { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(Object.fromEntries(body)) };
}

function withQuery(url: string, params: URLSearchParams): string {
  const target = new URL(url);
  for (const [name, value] of params) target.searchParams.append(name, value);
  return target.toString();
}

/**
 * The catalog parameters of a grant, filled from connection config, then the caller's `extraParams`.
 * Parameters that read `${credentials...}` are left out: a token request has no stored credentials to draw on.
 */
function extraParams(templates: Readonly<Record<string, TokenParamValue>> | undefined, input: TokenRequestInput): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(templates ?? {})) {
    // The catalog schema allows nested parameters only for templated (TWO_STEP) token requests.
    const template = stringParam(value);
    if (GRANT_PARAMETERS.has(name) || template === undefined) continue;
    if (placeholdersOf(parseTemplate(template)).some((placeholder) => placeholder.source === 'credentials')) continue;
    params[name] = interpolateParam(template, input);
  }
  for (const [name, value] of Object.entries(input.extraParams ?? {})) if (!GRANT_PARAMETERS.has(name)) params[name] = value;
  return params;
}

function stringParam(value: TokenParamValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function requiredTokenUrl(entry: ProviderEntry): string {
  if (entry.token_url === undefined) throw new CustodianError('missing_token_url', 'The provider has no token_url');
  return entry.token_url;
}

/**
 * The token set of a token response. A refusal is an OAuth error body, whatever the status (GitHub
 * answers refused grants with 200), or any other non-2xx. Expiry: `expires_in` (seconds, or milliseconds
 * with `expires_in_unit`) from the caller's `now`; else the access token's JWT `exp`; else null. A 2xx
 * that is not JSON or has no string `access_token` is a (transient) malformed response.
 */
function normaliseTokenResponse(answer: ProviderAnswer, input: TokenRequestInput): TokenSet {
  const raw = parseJsonObject(answer.body);
  const oauthError = oauthErrorOf(answer.body);
  if (oauthError && TEMPORARY_ERRORS.has(oauthError.error)) throw answer.unusable('provider_server_error');
  if (oauthError) throw answer.refused(REFUSAL_CODES.has(oauthError.error) ? (oauthError.error as ErrorCode) : 'provider_rejected');
  if (!answer.ok) throw answer.refused('provider_rejected', ' without an OAuth error body');
  const accessToken = raw?.['access_token'];
  if (raw === undefined) throw answer.unusable('provider_malformed_response', ` with a body that is not a JSON object (${answer.headers.get('content-type') ?? 'no content-type'})`);
  if (typeof accessToken !== 'string' || accessToken === '') throw answer.unusable('provider_malformed_response', ' without an access_token');
  const refreshToken = raw['refresh_token'];
  const lifetimeMs = expiresInMs(raw['expires_in'], input.entry.expires_in_unit);
  const expiresAt = lifetimeMs !== undefined ? new Date(input.now.getTime() + lifetimeMs) : jwtExpiry(accessToken);
  return {
    accessToken,
    ...(typeof refreshToken === 'string' && refreshToken !== '' ? { refreshToken } : {}),
    expiresAt,
    raw,
    connectionConfig: responseMetadata(raw, input.entry.token_response_metadata ?? []),
  };
}

interface OAuthError {
  readonly error: string;
  readonly description?: string;
}

/** The body's OAuth error (RFC 6749 §5.2), its code kept to a short token so a provider cannot smuggle arbitrary text through it. */
function oauthErrorOf(body: string): OAuthError | undefined {
  const json = parseJsonObject(body);
  if (json === undefined || typeof json['error'] !== 'string' || json['error'] === '') return undefined;
  const error = json['error'].replace(/[^\w.:-]/g, '_').slice(0, MAX_ERROR_CODE_LENGTH);
  const raw = json['error_description'];
  return { error, description: typeof raw === 'string' && raw.trim() !== '' ? raw.replace(/\s+/g, ' ').trim() : undefined };
}

function describe(oauthError: OAuthError | undefined): string {
  if (!oauthError) return '';
  return ` (${oauthError.error})${oauthError.description === undefined ? '' : `: ${oauthError.description}`}`;
}

function expiresInMs(value: unknown, unit: ProviderEntry['expires_in_unit']): number | undefined {
  const amount = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  // 0 or garbage: treated as absent, as Nango does (some providers send 0 for "does not expire").
  if (!Number.isFinite(amount) || amount <= 0) return undefined;
  return unit === 'milliseconds' ? amount : amount * 1000;
}

/** Values named by `token_response_metadata`: top-level names or dotted paths (`team.id`), keyed as written. */
function responseMetadata(raw: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const name of names) {
    const value = name in raw ? raw[name] : name.split('.').reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), raw);
    if (value !== undefined) metadata[name] = value;
  }
  return metadata;
}

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

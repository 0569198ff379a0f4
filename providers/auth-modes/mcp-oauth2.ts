/**
 * MCP_OAUTH2 and MCP_OAUTH2_GENERIC: OAuth 2.1 for MCP servers, as the MCP authorization spec
 * (2025-06-18, 2025-11-25) has a client do it: the authorization code flow with PKCE S256 always, the
 * RFC 8707 `resource` on the authorization, token and refresh requests, and a client that is the
 * integration's own, registered on first use (RFC 7591), or our Client ID Metadata Document URL.
 *
 * - MCP_OAUTH2: the catalog names the authorization server's endpoints (`authorization_url`,
 *   `token_url`, `registration_url`), how the client is registered (`client_registration`), and the
 *   server's canonical URI as `authorization_params.resource` (Nango's convention).
 * - MCP_OAUTH2_GENERIC: the end user names the MCP server (`connection_config.mcp_server_url`) and
 *   everything else is discovered from it (mcp-discovery.ts); every call it makes is to hosts the end
 *   user chose, so each goes through the private-network guard when ALLOW_PRIVATE_NETWORK_TARGETS is off,
 *   and the integration's own client is never presented to them (CIMD or registration only).
 *
 * What a connection needs to refresh is kept in its connection config, none of it secret: the client id
 * (`mcp_client_id`) and how it authenticates (`mcp_client_auth`), the resource (`mcp_resource`) and, for
 * the generic mode, the discovered issuer and token endpoint. A registered client's secret (rare: we
 * register public clients) stays in the integration's encrypted custom secrets, and on the attempt.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConnectionConfigError, CustodianError } from '../../src/errors';
import type { ProviderEntry } from '../catalog-schema';
import { MCP_SERVER_URL_FIELD } from '../catalog-schema';
import type { McpOAuth2Credentials, TokenSet } from '../credentials';
import { ProviderCallError } from '../calls/provider-call-error';
import { interpolateParam, interpolateUrl } from '../interpolate';
import { urlProblem } from '../url-rules';
import type { AuthModeStrategy, BeginInput, CallContext, CompleteInput, ConnectionConfig, IntegrationClient, Obtained, Redirect, RenewInput, RenewResult } from './auth-mode';
import { mergeAuthorizationParams } from './authorization-params';
import { AuthorizationError } from './authorization-error';
import { expiryField, rawField, secretStrings } from './import-fields';
import { withProxyHeaders } from './outgoing-request';
import { missingLegacyField } from './oauth2';
import { chooseClient, clientForRenewal, registrationKey, type McpClient, type RegistrationApproach } from './mcp-client-registration';
import { checkedUrl, discoverMcpServer, type DiscoveryContext } from './mcp-discovery';
import { exchangeAuthorizationCode, refreshAccessToken, type ClientAuthMethod } from './oauth2-token-request';
import { appendQuery } from './query-string';

/** Connection-config keys this mode writes (and reads back to refresh). */
export const MCP_CONFIG = {
  clientId: 'mcp_client_id',
  clientAuth: 'mcp_client_auth',
  resource: 'mcp_resource',
  issuer: 'mcp_authorization_server',
  tokenEndpoint: 'mcp_token_endpoint',
} as const;

/** The attempt secret holding a registered client's secret between `begin` and `complete`. */
const CLIENT_SECRET_ATTEMPT_KEY = 'mcpClientSecret';
const VERIFIER_ATTEMPT_KEY = 'pkceVerifier';
const TOKEN_ENDPOINT_ATTEMPT_KEY = 'mcpTokenEndpoint';
const DEFAULT_SCOPE_SEPARATOR = ' ';
const CLIENT_AUTH_METHODS = new Set<string>(['client_secret_basic', 'client_secret_post', 'none'] satisfies ClientAuthMethod[]);

/** Where one authorization goes, once the catalog was read or the server discovered. */
interface Target {
  readonly authorizationUrl: string;
  readonly tokenEndpoint: string;
  readonly resource?: string;
  readonly registrationEndpoint?: string;
  readonly acceptsClientMetadata: boolean;
  readonly approach: RegistrationApproach;
  readonly scopes: readonly string[];
  readonly scopeSeparator: string;
  /** Values only the discovered mode has (issuer, token endpoint, server URL). */
  readonly connectionConfig: Record<string, string>;
}

/** A token endpoint for a connection, with what to send it. */
interface TokenEndpoint {
  /** The token endpoint's URL (a registration is bound to it). */
  readonly url: string;
  /** The entry to build token requests from: the catalog's, or one naming the discovered endpoint. */
  readonly entry: ProviderEntry;
  readonly resource?: string;
  readonly userChosenHost: boolean;
}

/** What differs between the two modes. */
interface McpMode {
  readonly authMode: 'MCP_OAUTH2' | 'MCP_OAUTH2_GENERIC';
  target(input: BeginInput, call: CallContext): Promise<Target>;
  /** `pinned`: the endpoint `begin` chose, kept on the attempt (a connection config cannot redirect the code). */
  tokenEndpoint(entry: ProviderEntry, connectionConfig: ConnectionConfig, call: CallContext, pinned?: string): Promise<TokenEndpoint>;
  /** The integration's own client may be used: the catalog, not an end user, chose the server. */
  readonly integrationClientAllowed: boolean;
  /** The registration endpoint a stored client may have been registered at (to find an imported connection's client). */
  registrationEndpoint(entry: ProviderEntry, connectionConfig: ConnectionConfig): string | undefined;
}

const catalogMode: McpMode = {
  authMode: 'MCP_OAUTH2',
  target: (input) => {
    const { entry } = input;
    if (entry.authorization_url === undefined) throw new CustodianError('missing_authorization_url', 'The provider has no authorization_url');
    return Promise.resolve({
      authorizationUrl: interpolateUrl(entry.authorization_url, input),
      tokenEndpoint: catalogTokenUrl(entry, input.connectionConfig),
      resource: catalogResource(entry, input.connectionConfig),
      registrationEndpoint: catalogRegistrationEndpoint(entry, input.connectionConfig),
      acceptsClientMetadata: entry.client_registration === 'cimd',
      approach: entry.client_registration ?? 'dynamic',
      scopes: input.scopes,
      scopeSeparator: entry.scope_separator ?? DEFAULT_SCOPE_SEPARATOR,
      connectionConfig: {},
    });
  },
  tokenEndpoint: (entry, connectionConfig) =>
    Promise.resolve({
      url: catalogTokenUrl(entry, connectionConfig),
      entry,
      resource: textOf(connectionConfig[MCP_CONFIG.resource]) ?? catalogResource(entry, connectionConfig),
      userChosenHost: false,
    }),
  integrationClientAllowed: true,
  registrationEndpoint: catalogRegistrationEndpoint,
};

const genericMode: McpMode = {
  authMode: 'MCP_OAUTH2_GENERIC',
  target: async (input, call) => {
    const serverUrl = serverUrlOf(input.entry, input.connectionConfig);
    const discovery = await discoverMcpServer(serverUrl, discoveryContext(input.entry, call));
    const as = discovery.authorizationServer;
    return {
      authorizationUrl: as.authorizationEndpoint,
      tokenEndpoint: as.tokenEndpoint,
      resource: discovery.resource,
      registrationEndpoint: as.registrationEndpoint,
      acceptsClientMetadata: as.clientIdMetadataDocumentSupported,
      approach: 'discovered',
      // The integration's scopes when it has some; else what the server asked for (MCP "Scope Selection Strategy").
      scopes: input.scopes.length > 0 ? input.scopes : discovery.scopes,
      scopeSeparator: DEFAULT_SCOPE_SEPARATOR,
      connectionConfig: { [MCP_SERVER_URL_FIELD]: serverUrl, [MCP_CONFIG.issuer]: as.issuer, [MCP_CONFIG.tokenEndpoint]: as.tokenEndpoint },
    };
  },
  tokenEndpoint: async (entry, connectionConfig, call, pinned) => {
    let url = pinned ?? textOf(connectionConfig[MCP_CONFIG.tokenEndpoint]);
    let resource = textOf(connectionConfig[MCP_CONFIG.resource]);
    const ctx = discoveryContext(entry, call);
    if (url === undefined) {
      // An imported connection carries only the server's URL: discover its token endpoint (no registration involved).
      const discovery = await discoverMcpServer(serverUrlOf(entry, connectionConfig), ctx);
      url = discovery.authorizationServer.tokenEndpoint;
      resource ??= discovery.resource;
    }
    const tokenUrl = checkedUrl(url, 'token endpoint', ctx);
    return { url: tokenUrl, entry: { ...entry, token_url: tokenUrl, refresh_url: undefined, token_params: undefined, refresh_params: undefined }, resource, userChosenHost: true };
  },
  integrationClientAllowed: false,
  registrationEndpoint: () => undefined,
};

function importSchemaOf(mode: McpMode) {
  return z.object({
    type: z.literal(mode.authMode),
    access_token: z.string().min(1),
    refresh_token: z.string().min(1).optional(),
    expires_at: expiryField.optional(),
    raw: rawField,
  });
}

/** The MCP_OAUTH2 strategy: endpoints from the catalog. */
export const mcpOAuth2 = mcpStrategy(catalogMode);

/** The MCP_OAUTH2_GENERIC strategy: endpoints discovered from the MCP server the end user names. */
export const mcpOAuth2Generic = mcpStrategy(genericMode);

function mcpStrategy(mode: McpMode): AuthModeStrategy<McpOAuth2Credentials> {
  const importSchema = importSchemaOf(mode);
  return {
    authMode: mode.authMode,
    connect: { kind: 'redirect' },
    completing: 'exchanging the code',
    presentedType: 'OAUTH2',
    servesClientMetadata: true,
    begin: (input, call) => begin(mode, input, call),
    complete: (input, call) => complete(mode, input, call),
    importSchema,
    fromImport: (body) => {
      const parsed = body as z.output<typeof importSchema>;
      return { ...parsed, raw: parsed.raw ?? {} };
    },
    fromLegacyImport: (body, now) => fromLegacyImport(mode, body, now),
    checksImports: false,
    upkeep: (_entry, credentials) => ({ kind: 'refresh', beforeExpiry: Boolean(credentials.refresh_token) }),
    renew: (input, call) => renew(mode, input, call),
    expiresAt: (credentials) => (credentials.expires_at ? new Date(credentials.expires_at) : null),
    // The MCP spec: the token goes in `Authorization: Bearer` on every request; the entry may add headers (`accept`).
    authorize: (request, { entry, credentials, connectionConfig }) =>
      withProxyHeaders(request, entry, { credentials: { accessToken: credentials.access_token, access_token: credentials.access_token }, connectionConfig }, { authorization: `Bearer ${credentials.access_token}` }),
    secretsOf: (credentials) => secretStrings(credentials.access_token, credentials.refresh_token),
  };
}

async function begin(mode: McpMode, input: BeginInput, call: CallContext): Promise<Redirect> {
  const target = await mode.target(input, call);
  const choice = await chooseClient({
    approach: target.approach,
    integration: input.client,
    redirectUri: input.redirectUri,
    clientMetadataUrl: input.clientMetadataUrl,
    authorizationEndpoint: target.authorizationUrl,
    registrationEndpoint: target.registrationEndpoint,
    tokenEndpoint: target.tokenEndpoint,
    acceptsClientMetadata: target.acceptsClientMetadata,
    registrationParams: input.entry.registration_params,
    staticAuthMethod: staticAuthMethodOf(input.entry),
    provider: input.entry.display_name,
    call,
  });
  const { client } = choice;
  // PKCE S256 whatever the entry says: the MCP spec requires it of every client.
  const verifier = randomBytes(32).toString('base64url');
  const params = new Map<string, string>([
    ['response_type', 'code'],
    ['client_id', client.clientId],
    ['redirect_uri', input.redirectUri],
  ]);
  if (target.scopes.length > 0) params.set('scope', target.scopes.join(target.scopeSeparator));
  params.set('state', input.state);
  mergeAuthorizationParams(params, input);
  params.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
  params.set('code_challenge_method', 'S256');
  // Set last: neither the caller's authorization_params nor the catalog's can aim the token at another resource.
  if (target.resource !== undefined) params.set('resource', target.resource);
  return {
    url: appendQuery(target.authorizationUrl, params),
    attemptSecrets: {
      [VERIFIER_ATTEMPT_KEY]: verifier,
      // Not secret, but the attempt is ours alone: the code and any client secret go where begin decided.
      [TOKEN_ENDPOINT_ATTEMPT_KEY]: target.tokenEndpoint,
      ...(client.clientSecret ? { [CLIENT_SECRET_ATTEMPT_KEY]: client.clientSecret } : {}),
    },
    connectionConfig: { ...target.connectionConfig, ...clientConfig(client, target.resource) },
    ...(choice.integrationCustom ? { integrationCustom: choice.integrationCustom } : {}),
  };
}

async function complete(mode: McpMode, input: CompleteInput, call: CallContext): Promise<Obtained<McpOAuth2Credentials>> {
  const { received, connectionConfig } = input;
  const denied = textOf(received['error']);
  if (denied) {
    const description = textOf(received['error_description']);
    throw new AuthorizationError('authorization_denied', `The authorization server answered ${denied.slice(0, 64)}${description ? `: ${description.slice(0, 200)}` : ''}`);
  }
  const code = textOf(received['code']);
  if (!code) throw new AuthorizationError('missing_code', 'The callback carried no authorization code');
  const issuer = textOf(connectionConfig[MCP_CONFIG.issuer]);
  const returnedIssuer = textOf(received['iss']);
  // RFC 9207: an authorization response naming another issuer is a mix-up attack's, not our server's.
  if (issuer !== undefined && returnedIssuer !== undefined && returnedIssuer !== issuer) {
    throw new AuthorizationError('authorization_failed', 'The authorization response came from another authorization server');
  }
  const clientId = textOf(connectionConfig[MCP_CONFIG.clientId]);
  const verifier = input.attemptSecrets[VERIFIER_ATTEMPT_KEY];
  if (clientId === undefined || verifier === undefined) throw new AuthorizationError('authorization_failed', 'The attempt holds no MCP client or PKCE verifier');
  const secret = input.attemptSecrets[CLIENT_SECRET_ATTEMPT_KEY];
  const client: McpClient = { clientId, ...(secret ? { clientSecret: secret } : {}), authMethod: secret ? (authMethodIn(connectionConfig) ?? 'client_secret_post') : 'none' };
  const endpoint = await mode.tokenEndpoint(input.entry, connectionConfig, call, input.attemptSecrets[TOKEN_ENDPOINT_ATTEMPT_KEY]);
  const tokens = await exchangeAuthorizationCode({
    ...tokenRequest(endpoint, client, connectionConfig, call),
    code,
    redirectUri: input.redirectUri,
    codeVerifier: verifier,
  });
  return {
    credentials: credentialsOf(mode, tokens),
    expiresAt: tokens.expiresAt,
    connectionConfig: { ...pick(connectionConfig, Object.values(MCP_CONFIG)), ...tokens.connectionConfig },
  };
}

async function renew(mode: McpMode, input: RenewInput<McpOAuth2Credentials>, call: CallContext): Promise<RenewResult<McpOAuth2Credentials>> {
  const { credentials, connectionConfig } = input;
  if (!credentials.refresh_token) throw new ProviderCallError('missing_refresh_token', 'permanent', 'The token expired and the connection has no refresh token');
  const endpoint = await mode.tokenEndpoint(input.entry, connectionConfig, call);
  const client = renewalClient(mode, input, endpoint.url);
  const tokens = await refreshAccessToken({ ...tokenRequest(endpoint, client, connectionConfig, call), refreshToken: credentials.refresh_token });
  return {
    kind: 'renewed',
    credentials: {
      ...credentialsOf(mode, tokens),
      // A server that does not rotate refresh tokens omits it: keep the one we have (OAuth 2.1 §4.3.1 rotates for public clients).
      refresh_token: tokens.refreshToken ?? credentials.refresh_token,
    },
    expiresAt: tokens.expiresAt,
    connectionConfig: tokens.connectionConfig,
  };
}

/** The client a connection refreshes with: the one it was authorized with, else (an import) the integration's registered or own client. */
function renewalClient(mode: McpMode, input: RenewInput<McpOAuth2Credentials>, tokenEndpoint: string): McpClient {
  const { connectionConfig, client } = input;
  const own = mode.integrationClientAllowed ? textOf(client.clientId) : undefined;
  const clientId = textOf(connectionConfig[MCP_CONFIG.clientId]) ?? registeredClientId(client, mode.registrationEndpoint(input.entry, connectionConfig)) ?? own;
  if (clientId === undefined) throw new ProviderCallError('integration_missing_client', 'permanent', 'The connection names no MCP client and the integration has none');
  return clientForRenewal(client, { clientId, authMethod: authMethodIn(connectionConfig), tokenEndpoint, integrationClientAllowed: mode.integrationClientAllowed });
}

function registeredClientId(client: IntegrationClient, registrationEndpoint: string | undefined): string | undefined {
  if (registrationEndpoint === undefined) return undefined;
  const stored = client.custom[registrationKey(registrationEndpoint)];
  if (stored === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(stored);
    return typeof parsed === 'object' && parsed !== null ? textOf((parsed as Record<string, unknown>)['client_id']) : undefined;
  } catch {
    return undefined;
  }
}

function tokenRequest(endpoint: TokenEndpoint, client: McpClient, connectionConfig: ConnectionConfig, call: CallContext) {
  return {
    entry: endpoint.entry,
    clientId: client.clientId,
    clientSecret: client.clientSecret ?? '',
    clientAuthMethod: client.authMethod,
    connectionConfig,
    // RFC 8707 §2.2: the token is for this resource, at issuance and at every refresh.
    extraParams: (endpoint.resource !== undefined ? { resource: endpoint.resource } : {}) as Record<string, string>,
    userChosenHost: endpoint.userChosenHost,
    now: call.now,
    timeoutMs: call.timeoutMs,
    refusePrivateUserHosts: call.refusePrivateUserHosts,
    fetch: call.fetch,
  };
}

function credentialsOf(mode: McpMode, tokens: TokenSet): McpOAuth2Credentials {
  return {
    type: mode.authMode,
    access_token: tokens.accessToken,
    ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
    ...(tokens.expiresAt ? { expires_at: tokens.expiresAt.toISOString() } : {}),
    raw: tokens.raw,
  };
}

/** Longest accepted legacy `expires_in`: a century (a much larger one is past the last date JavaScript can represent). */
const MAX_EXPIRES_IN_SECONDS = 100 * 365 * 24 * 3600;

/** The legacy flat `POST /connection` body (`access_token`, `refresh_token`, `expires_at` or `expires_in`). */
function fromLegacyImport(mode: McpMode, body: Readonly<Record<string, unknown>>, now: Date): McpOAuth2Credentials {
  const accessToken = textOf(body['access_token']);
  if (!accessToken) throw missingLegacyField('access_token', mode.authMode);
  const expiresIn = typeof body['expires_in'] === 'number' && body['expires_in'] > 0 ? Math.min(body['expires_in'], MAX_EXPIRES_IN_SECONDS) : undefined;
  const expiresAt = body['no_expiration'] === true ? undefined : (textOf(body['expires_at']) ?? (expiresIn ? new Date(now.getTime() + expiresIn * 1000).toISOString() : undefined));
  const refreshToken = textOf(body['refresh_token']);
  const raw = body['raw'];
  return {
    type: mode.authMode,
    access_token: accessToken,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    ...(expiresAt ? { expires_at: expiresAt } : {}),
    raw: typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {},
  };
}

function clientConfig(client: McpClient, resource: string | undefined): Record<string, string> {
  return { [MCP_CONFIG.clientId]: client.clientId, [MCP_CONFIG.clientAuth]: client.authMethod, ...(resource !== undefined ? { [MCP_CONFIG.resource]: resource } : {}) };
}

/**
 * The MCP server URL the end user gave: an absolute https URL (plain http only for loopback test
 * servers), within the entry's field pattern when it declares one. The fragment is dropped.
 */
function serverUrlOf(entry: ProviderEntry, connectionConfig: ConnectionConfig): string {
  const value = connectionConfig[MCP_SERVER_URL_FIELD];
  const path = ['connection_config', MCP_SERVER_URL_FIELD];
  if (typeof value !== 'string' || value === '') throw new ConnectionConfigError('missing_connection_config', `Missing connection configuration value: ${MCP_SERVER_URL_FIELD}`, path);
  const pattern = entry.connection_config?.[MCP_SERVER_URL_FIELD]?.pattern;
  const problem = value.includes('${') ? 'is not a plain URL' : (urlProblem(value) ?? (pattern !== undefined && !new RegExp(pattern).test(value) ? 'does not match the field\'s pattern' : undefined));
  if (problem) throw new ConnectionConfigError('invalid_connection_config', `Invalid value for ${MCP_SERVER_URL_FIELD}: the MCP server URL ${problem}`, path);
  const url = new URL(value);
  url.hash = '';
  return url.toString();
}

function catalogResource(entry: ProviderEntry, connectionConfig: ConnectionConfig): string | undefined {
  const template = entry.authorization_params?.['resource'];
  return template === undefined ? undefined : interpolateParam(template, { entry, connectionConfig });
}

function catalogTokenUrl(entry: ProviderEntry, connectionConfig: ConnectionConfig): string {
  if (entry.token_url === undefined) throw new CustodianError('missing_token_url', 'The provider has no token_url');
  return interpolateUrl(entry.token_url, { entry, connectionConfig });
}

function catalogRegistrationEndpoint(entry: ProviderEntry, connectionConfig: ConnectionConfig): string | undefined {
  return entry.registration_url === undefined ? undefined : interpolateUrl(entry.registration_url, { entry, connectionConfig });
}

/** Nango's `authorization_method: header` and `token_request_auth_method: basic` both mean client_secret_basic. */
function staticAuthMethodOf(entry: ProviderEntry): ClientAuthMethod {
  return entry.token_request_auth_method === 'basic' || entry.authorization_method === 'header' ? 'client_secret_basic' : 'client_secret_post';
}

function authMethodIn(connectionConfig: ConnectionConfig): ClientAuthMethod | undefined {
  const value = connectionConfig[MCP_CONFIG.clientAuth];
  return typeof value === 'string' && CLIENT_AUTH_METHODS.has(value) ? (value as ClientAuthMethod) : undefined;
}

function discoveryContext(entry: ProviderEntry, call: CallContext): DiscoveryContext {
  return { provider: entry.display_name, call };
}

function pick(config: ConnectionConfig, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => config[key] !== undefined).map((key) => [key, config[key]]));
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

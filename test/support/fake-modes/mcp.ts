/**
 * An MCP server and its OAuth 2.1 authorization server, mounted on a fake provider (real HTTP on
 * 127.0.0.1), as the MCP authorization spec has them:
 *
 * - `POST|GET /mcp`: the protected MCP server; 401 with `WWW-Authenticate: Bearer resource_metadata="…"`
 *   (or a bare challenge) without a token it issued for its own resource, a JSON-RPC answer with one;
 * - protected-resource metadata (RFC 9728) at the path-inserted and/or root well-known URI;
 * - authorization-server metadata (RFC 8414) or only OpenID discovery (path-inserted or path-appended),
 *   for the issuer `<url>/as`, or for `<url>` itself when the server publishes no resource metadata;
 * - `/as/register` (RFC 7591), recording every registration;
 * - `/as/authorize` and `/as/token`, which require PKCE S256 and the `resource` of the MCP server on the
 *   authorization, the code exchange and every refresh, accept registered, static and Client ID Metadata
 *   Document clients (fetching the document and checking it), and rotate refresh tokens.
 *
 * Every code, token, client secret and verifier it issues or receives is remembered for history audits.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FakeProvider, FakeRouteAnswer, FakeRouteRequest } from '../fake-provider';

/** Behaviour switches, mutable at runtime. */
export interface McpFakeKnobs {
  /** What the MCP server's 401 says: where its metadata is, or only `Bearer` (clients then try the well-known URIs). */
  challenge: 'resource_metadata' | 'bare';
  /** `scope` in the 401 challenge, or null for none. */
  challengeScope: string | null;
  /** Where the protected-resource metadata is served; `none`: a 2025-03-26 server, its origin is its authorization server. */
  resourceMetadataAt: 'path' | 'root' | 'none';
  /** `resource` in the protected-resource metadata, or null for the MCP server's own URL. */
  declaredResource: string | null;
  /** How the authorization server publishes its metadata. */
  asMetadata: 'oauth' | 'oidc-inserted' | 'oidc-appended' | 'none';
  /** `issuer` in the metadata, or null for the true one. */
  declaredIssuer: string | null;
  /** `code_challenge_methods_supported`; null omits it. */
  pkceMethods: string[] | null;
  offersRegistration: boolean;
  acceptsClientMetadata: boolean;
  /** Registrations get a client secret (and `client_secret_basic`) instead of being public clients. */
  confidentialRegistrations: boolean;
  /** A registration answers this status with an RFC 7591 error instead. */
  registrationError: { status: number; error: string } | null;
  /** A client created out of band (pre-registration); its secret is required at the token endpoint. */
  staticClient: { clientId: string; clientSecret: string; redirectUri: string } | null;
  scopesSupported: string[];
  /** Seconds. */
  expiresIn: number;
  rotateRefreshTokens: boolean;
}

/** One registration the server received. */
export interface McpRegistration {
  readonly body: Record<string, unknown>;
  readonly clientId: string;
  readonly clientSecret?: string;
}

/** The mounted MCP endpoints. */
export interface McpFake {
  readonly knobs: McpFakeKnobs;
  /** The MCP server's URL (`<url>/mcp`). */
  readonly serverUrl: string;
  /** Its canonical resource URI (the same). */
  readonly resource: string;
  /** The issuer when resource metadata names one (`<url>/as`). */
  readonly issuer: string;
  readonly registrations: McpRegistration[];
  /** Every `/as/token` call's form body, in order. */
  readonly tokenRequests: Record<string, unknown>[];
  /** Every `/as/authorize` query, in order. */
  readonly authorizeRequests: Record<string, string>[];
  /** Client Id Metadata Documents the authorization server fetched, by URL. */
  readonly fetchedClientMetadata: string[];
  /** Paths requested, in order (discovery order shows here). */
  readonly paths: string[];
  isAccessTokenValid(token: string): boolean;
  /** Invalidates every refresh token (a revoked grant). */
  revokeAll(): void;
}

/** Knob defaults (fresh objects on every call). */
export function defaultMcpKnobs(): McpFakeKnobs {
  return {
    challenge: 'resource_metadata',
    challengeScope: null,
    resourceMetadataAt: 'path',
    declaredResource: null,
    asMetadata: 'oauth',
    declaredIssuer: null,
    pkceMethods: ['S256'],
    offersRegistration: true,
    acceptsClientMetadata: false,
    confidentialRegistrations: false,
    registrationError: null,
    staticClient: null,
    scopesSupported: ['mcp:tools'],
    expiresIn: 3600,
    rotateRefreshTokens: true,
  };
}

interface Client {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly redirectUris: readonly string[];
}

interface Code {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly resource: string;
  readonly scope?: string;
}

interface Grant {
  readonly clientId: string;
  readonly resource: string;
  readonly scope?: string;
}

const AS_PATH = '/as';

/** Mounts the MCP server and its authorization server on `provider`. */
export function mountMcp(provider: FakeProvider, options: Partial<McpFakeKnobs> = {}): McpFake {
  const fake = new McpServerFake(provider, { ...defaultMcpKnobs(), ...options });
  fake.mount();
  return fake;
}

/** A MCP_OAUTH2 catalog entry for the fake (the catalog names the authorization server's endpoints). */
export function fakeMcpEntry(provider: Pick<FakeProvider, 'url'>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { url } = provider;
  return {
    display_name: 'Fake MCP',
    categories: ['mcp'],
    docs: 'https://example.com/fake-mcp',
    auth_mode: 'MCP_OAUTH2',
    client_registration: 'dynamic',
    authorization_url: `${url}${AS_PATH}/authorize`,
    token_url: `${url}${AS_PATH}/token`,
    registration_url: `${url}${AS_PATH}/register`,
    registration_params: { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
    authorization_params: { resource: `${url}/mcp` },
    proxy: { base_url: url, headers: { accept: 'application/json,text/event-stream' } },
    ...overrides,
  };
}

/** The MCP_OAUTH2_GENERIC catalog entry (the end user names the server). */
export function fakeMcpGenericEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    display_name: 'Fake MCP (generic)',
    categories: ['mcp'],
    docs: 'https://example.com/fake-mcp-generic',
    auth_mode: 'MCP_OAUTH2_GENERIC',
    connection_config: { mcp_server_url: { type: 'string', title: 'MCP server URL', description: 'The MCP server', pattern: '^https?://' } },
    proxy: { base_url: '$' + '{connectionConfig.mcp_server_url}', headers: { accept: 'application/json,text/event-stream' } },
    ...overrides,
  };
}

class McpServerFake implements McpFake {
  readonly registrations: McpRegistration[] = [];
  readonly tokenRequests: Record<string, unknown>[] = [];
  readonly authorizeRequests: Record<string, string>[] = [];
  readonly fetchedClientMetadata: string[] = [];
  readonly paths: string[] = [];
  private readonly clients = new Map<string, Client>();
  private readonly codes = new Map<string, Code>();
  private readonly accessTokens = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, Grant>();

  constructor(
    private readonly provider: FakeProvider,
    readonly knobs: McpFakeKnobs,
  ) {}

  get serverUrl(): string {
    return `${this.provider.url}/mcp`;
  }

  get resource(): string {
    return this.serverUrl;
  }

  get issuer(): string {
    return `${this.provider.url}${AS_PATH}`;
  }

  isAccessTokenValid(token: string): boolean {
    return this.accessTokens.has(token);
  }

  revokeAll(): void {
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  mount(): void {
    const p = this.provider;
    const on = (method: string, path: string, handler: (request: FakeRouteRequest) => FakeRouteAnswer | Promise<FakeRouteAnswer>) =>
      p.mount(method, path, (request) => {
        this.paths.push(path);
        request.call.body = request.body;
        return handler(request);
      });
    on('POST', '/mcp', (request) => this.mcpRequest(request));
    on('GET', '/mcp', (request) => this.mcpRequest(request));
    on('GET', '/.well-known/oauth-protected-resource/mcp', () => this.resourceMetadata('path'));
    on('GET', '/.well-known/oauth-protected-resource', () => this.resourceMetadata('root'));
    for (const path of [
      `/.well-known/oauth-authorization-server${AS_PATH}`,
      `/.well-known/openid-configuration${AS_PATH}`,
      `${AS_PATH}/.well-known/openid-configuration`,
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]) {
      on('GET', path, () => this.asMetadata(path));
    }
    on('POST', `${AS_PATH}/register`, (request) => this.register(request.body));
    on('GET', `${AS_PATH}/authorize`, (request) => this.authorize(request.url.searchParams));
    on('POST', `${AS_PATH}/token`, (request) => this.token(request));
  }

  private mcpRequest({ req }: FakeRouteRequest): FakeRouteAnswer {
    const [scheme, token = ''] = (req.headers.authorization ?? '').split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && token !== '') this.provider.rememberSecrets(token);
    const grant = scheme?.toLowerCase() === 'bearer' ? this.accessTokens.get(token) : undefined;
    // MCP servers accept only tokens issued for themselves (RFC 8707 audience).
    if (grant && grant.resource === this.resource) return { status: 200, body: { jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'fake-mcp', version: '1' } } } };
    const params = [`Bearer realm="mcp"`];
    if (this.knobs.challenge === 'resource_metadata' && this.knobs.resourceMetadataAt !== 'none') {
      const at = this.knobs.resourceMetadataAt === 'path' ? '/.well-known/oauth-protected-resource/mcp' : '/.well-known/oauth-protected-resource';
      params.push(`resource_metadata="${this.provider.url}${at}"`);
    }
    if (this.knobs.challengeScope !== null) params.push(`scope="${this.knobs.challengeScope}"`);
    return { status: 401, body: { error: 'invalid_token' }, headers: { 'www-authenticate': params.join(', ') } };
  }

  private resourceMetadata(at: 'path' | 'root'): FakeRouteAnswer {
    if (this.knobs.resourceMetadataAt !== at) return { status: 404, body: { error: 'not_found' } };
    return {
      status: 200,
      body: { resource: this.knobs.declaredResource ?? this.resource, authorization_servers: [this.issuer], scopes_supported: this.knobs.scopesSupported, bearer_methods_supported: ['header'] },
    };
  }

  /** Where the authorization server's metadata is: for `<url>/as` (named by resource metadata), else for `<url>` (the fallback of servers without it). */
  private metadataPath(): string | undefined {
    const { asMetadata, resourceMetadataAt } = this.knobs;
    if (asMetadata === 'none') return undefined;
    if (resourceMetadataAt === 'none') return asMetadata === 'oauth' ? '/.well-known/oauth-authorization-server' : '/.well-known/openid-configuration';
    if (asMetadata === 'oauth') return `/.well-known/oauth-authorization-server${AS_PATH}`;
    return asMetadata === 'oidc-inserted' ? `/.well-known/openid-configuration${AS_PATH}` : `${AS_PATH}/.well-known/openid-configuration`;
  }

  private asMetadata(path: string): FakeRouteAnswer {
    if (this.metadataPath() !== path) return { status: 404, body: { error: 'not_found' } };
    const issuer = this.knobs.resourceMetadataAt === 'none' ? this.provider.url : this.issuer;
    const base = this.issuer;
    const metadata: Record<string, unknown> = {
      issuer: this.knobs.declaredIssuer ?? issuer,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      scopes_supported: this.knobs.scopesSupported,
    };
    if (this.knobs.pkceMethods !== null) metadata['code_challenge_methods_supported'] = this.knobs.pkceMethods;
    if (this.knobs.offersRegistration) metadata['registration_endpoint'] = `${base}/register`;
    if (this.knobs.acceptsClientMetadata) metadata['client_id_metadata_document_supported'] = true;
    if (this.knobs.asMetadata !== 'oauth') metadata['subject_types_supported'] = ['public'];
    return { status: 200, body: metadata };
  }

  private register(body: Record<string, unknown>): FakeRouteAnswer {
    if (!this.knobs.offersRegistration) return { status: 404, body: { error: 'not_found' } };
    if (this.knobs.registrationError) return { status: this.knobs.registrationError.status, body: { error: this.knobs.registrationError.error, error_description: 'refused by the fake' } };
    const redirectUris = body['redirect_uris'];
    if (!Array.isArray(redirectUris) || redirectUris.length === 0 || !redirectUris.every((uri) => typeof uri === 'string' && URL.canParse(uri))) {
      return { status: 400, body: { error: 'invalid_redirect_uri' } };
    }
    const clientId = `mcp-client-${randomBytes(6).toString('hex')}`;
    const clientSecret = this.knobs.confidentialRegistrations ? `mcp-client-secret-${randomBytes(12).toString('hex')}` : undefined;
    if (clientSecret) this.provider.rememberSecrets(clientSecret);
    this.clients.set(clientId, { clientId, clientSecret, redirectUris: redirectUris as string[] });
    this.registrations.push({ body, clientId, clientSecret });
    return {
      status: 201,
      body: {
        ...body,
        client_id: clientId,
        client_id_issued_at: Math.floor(Date.now() / 1000),
        ...(clientSecret ? { client_secret: clientSecret, token_endpoint_auth_method: 'client_secret_basic' } : { token_endpoint_auth_method: 'none' }),
      },
    };
  }

  private async authorize(query: URLSearchParams): Promise<FakeRouteAnswer> {
    this.authorizeRequests.push(Object.fromEntries(query));
    const clientId = query.get('client_id') ?? '';
    const redirectUri = query.get('redirect_uri') ?? '';
    const client = await this.clientOf(clientId);
    if (!client || !client.redirectUris.includes(redirectUri)) return { status: 400, body: { error: 'invalid_client', error_description: 'unknown client or redirect URI' } };
    if (query.get('response_type') !== 'code') return { status: 400, body: { error: 'unsupported_response_type' } };
    const challenge = query.get('code_challenge');
    if (challenge === null || query.get('code_challenge_method') !== 'S256') return this.back(redirectUri, query, { error: 'invalid_request', error_description: 'PKCE S256 is required' });
    if (query.get('resource') !== this.resource) return this.back(redirectUri, query, { error: 'invalid_target' });
    const code = `mcp-code-${randomBytes(12).toString('hex')}`;
    this.provider.rememberSecrets(code);
    this.codes.set(code, { clientId, redirectUri, challenge, resource: this.resource, scope: query.get('scope') ?? undefined });
    return this.back(redirectUri, query, { code, iss: this.issuer });
  }

  private back(redirectUri: string, query: URLSearchParams, params: Record<string, string>): FakeRouteAnswer {
    const location = new URL(redirectUri);
    for (const [name, value] of Object.entries(params)) location.searchParams.set(name, value);
    const state = query.get('state');
    if (state !== null) location.searchParams.set('state', state);
    return { status: 302, headers: { location: location.toString() } };
  }

  private async token({ req, body, call }: FakeRouteRequest): Promise<FakeRouteAnswer> {
    this.tokenRequests.push(body);
    call.clientAuth = req.headers.authorization?.toLowerCase().startsWith('basic ') ? 'basic' : typeof body['client_secret'] === 'string' ? 'post' : 'none';
    for (const name of ['code', 'code_verifier', 'refresh_token', 'client_secret']) {
      if (typeof body[name] === 'string') this.provider.rememberSecrets(body[name]);
    }
    const fault = this.provider.takeFault();
    if (fault && 'timeout' in fault) return new Promise<FakeRouteAnswer>(() => undefined);
    if (fault && 'malformed' in fault) return { status: 200, body: 'not json', headers: { 'content-type': 'text/plain' } };
    if (fault) return { status: fault.status, body: fault.body ?? { error: 'server_error' }, headers: fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {} };
    const presented = clientAuthOf(req.headers.authorization, body);
    if (presented.secret) this.provider.rememberSecrets(presented.secret);
    const client = await this.clientOf(presented.clientId ?? '');
    // A confidential client proves itself; a public one only names itself (PKCE guards its codes).
    if (!client || (client.clientSecret !== undefined && client.clientSecret !== presented.secret)) return { status: 401, body: { error: 'invalid_client' } };
    if (body['resource'] !== this.resource) return { status: 400, body: { error: 'invalid_target', error_description: 'resource must be the MCP server' } };
    if (body['grant_type'] === 'authorization_code') return this.exchange(client, body);
    if (body['grant_type'] === 'refresh_token') return this.refresh(client, body);
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  }

  private exchange(client: Client, body: Record<string, unknown>): FakeRouteAnswer {
    const code = typeof body['code'] === 'string' ? body['code'] : '';
    const issued = this.codes.get(code);
    this.codes.delete(code);
    if (!issued || issued.clientId !== client.clientId || issued.redirectUri !== body['redirect_uri']) return invalidGrant();
    const verifier = typeof body['code_verifier'] === 'string' ? body['code_verifier'] : '';
    if (createHash('sha256').update(verifier).digest('base64url') !== issued.challenge) return invalidGrant();
    return this.tokens({ clientId: client.clientId, resource: issued.resource, scope: issued.scope });
  }

  private refresh(client: Client, body: Record<string, unknown>): FakeRouteAnswer {
    const token = typeof body['refresh_token'] === 'string' ? body['refresh_token'] : '';
    const grant = this.refreshTokens.get(token);
    if (!grant || grant.clientId !== client.clientId) return invalidGrant();
    if (this.knobs.rotateRefreshTokens) this.refreshTokens.delete(token);
    return this.tokens(grant, this.knobs.rotateRefreshTokens);
  }

  private tokens(grant: Grant, withRefreshToken = true): FakeRouteAnswer {
    const accessToken = `mcp-at-${randomBytes(12).toString('hex')}`;
    this.accessTokens.set(accessToken, grant);
    const answer: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: this.knobs.expiresIn };
    if (grant.scope !== undefined) answer['scope'] = grant.scope;
    const secrets = [accessToken];
    if (withRefreshToken) {
      const refreshToken = `mcp-rt-${randomBytes(12).toString('hex')}`;
      this.refreshTokens.set(refreshToken, grant);
      answer['refresh_token'] = refreshToken;
      secrets.push(refreshToken);
    }
    this.provider.rememberSecrets(...secrets);
    return { status: 200, body: answer };
  }

  /** A client the server knows: registered, pre-registered, or an https-looking URL whose metadata document checks out. */
  private async clientOf(clientId: string): Promise<Client | undefined> {
    const known = this.clients.get(clientId);
    if (known) return known;
    const fixed = this.knobs.staticClient;
    if (fixed && fixed.clientId === clientId) return { clientId, clientSecret: fixed.clientSecret, redirectUris: [fixed.redirectUri] };
    if (!this.knobs.acceptsClientMetadata || !URL.canParse(clientId)) return undefined;
    this.fetchedClientMetadata.push(clientId);
    const response = await fetch(clientId);
    if (!response.ok) return undefined;
    const document = (await response.json()) as Record<string, unknown>;
    // draft-ietf-oauth-client-id-metadata-document §4.1: the document names itself exactly.
    if (document['client_id'] !== clientId || !Array.isArray(document['redirect_uris'])) return undefined;
    return { clientId, redirectUris: document['redirect_uris'] as string[] };
  }
}

function clientAuthOf(authorization: string | undefined, body: Record<string, unknown>): { clientId?: string; secret?: string } {
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const [clientId, ...rest] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
    return { clientId, secret: rest.join(':') };
  }
  return {
    clientId: typeof body['client_id'] === 'string' ? body['client_id'] : undefined,
    secret: typeof body['client_secret'] === 'string' && body['client_secret'] !== '' ? body['client_secret'] : undefined,
  };
}

function invalidGrant(): FakeRouteAnswer {
  return { status: 400, body: { error: 'invalid_grant' } };
}

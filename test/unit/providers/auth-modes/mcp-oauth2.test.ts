import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authModeStrategy } from '../../../../providers/auth-modes';
import type { AuthModeStrategy, BeginInput, CallContext, IntegrationClient, Redirect } from '../../../../providers/auth-modes/auth-mode';
import { clientMetadataDocument } from '../../../../providers/auth-modes/mcp-client-metadata';
import { chooseClient } from '../../../../providers/auth-modes/mcp-client-registration';
import { mcpOAuth2, mcpOAuth2Generic } from '../../../../providers/auth-modes/mcp-oauth2';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import type { McpOAuth2Credentials } from '../../../../providers/credentials';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { CustodianError } from '../../../../src/errors';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { fakeMcpEntry, fakeMcpGenericEntry, mountMcp, type McpFake, type McpFakeKnobs } from '../../../support/fake-modes/mcp';

// Far from the wall clock: an expiry computed from Date.now() instead of `now` shows up.
const NOW = new Date('2030-01-01T00:00:00Z');
const CALL: CallContext = { now: NOW, timeoutMs: 10_000 };
const REDIRECT_URI = 'https://custodian.example/oauth/callback';

/** An integration whose custom secrets keep what `begin` asks to store, as the generic code does. */
class Integration implements IntegrationClient {
  clientId: string | null = null;
  clientSecret: string | null = null;
  scopes: string[] = [];
  custom: Record<string, string> = {};

  keep(redirect: Redirect): void {
    this.custom = { ...this.custom, ...redirect.integrationCustom };
  }
}

/** The browser's trip to the authorization endpoint: the query it is sent back to our callback with. */
async function authorizeAt(url: string): Promise<Record<string, string>> {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status, await response.clone().text()).to.equal(302);
  const location = new URL(response.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).to.equal(REDIRECT_URI);
  return Object.fromEntries(location.searchParams);
}

async function failureOf(promise: Promise<unknown>): Promise<CustodianError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CustodianError);
    return error as CustodianError;
  }
  throw new Error('expected a failure');
}

describe('MCP OAuth 2.1 strategies against a fake MCP server', () => {
  let provider: FakeProvider;
  let mcp: McpFake;
  let integration: Integration;
  let genericEntry: ProviderEntry;
  let catalogEntry: ProviderEntry;

  before(async () => {
    provider = await startFakeProvider();
    genericEntry = nangoEntrySchema.parse(fakeMcpGenericEntry());
    catalogEntry = nangoEntrySchema.parse(fakeMcpEntry(provider));
  });
  after(() => provider.close());

  function reset(knobs: Partial<McpFakeKnobs> = {}): void {
    provider.reset();
    mcp = mountMcp(provider, knobs);
    integration = new Integration();
  }

  function beginInput(entry: ProviderEntry, overrides: Partial<BeginInput> = {}): BeginInput {
    return {
      entry,
      client: integration,
      redirectUri: REDIRECT_URI,
      state: 'attempt-1',
      scopes: integration.scopes,
      connectionConfig: entry.auth_mode === 'MCP_OAUTH2_GENERIC' ? { mcp_server_url: mcp.serverUrl } : {},
      authorizationParams: {},
      ...overrides,
    };
  }

  /** begin → the authorization server → complete, as the generic code will run them. */
  async function connect(strategy: AuthModeStrategy<McpOAuth2Credentials>, entry: ProviderEntry, overrides: Partial<BeginInput> = {}) {
    const input = beginInput(entry, overrides);
    const redirect = await strategy.begin!(input, CALL);
    integration.keep(redirect);
    const received = await authorizeAt(redirect.url);
    const connectionConfig = { ...input.connectionConfig, ...redirect.connectionConfig };
    const obtained = await strategy.complete({ entry, client: integration, received, attemptSecrets: redirect.attemptSecrets, redirectUri: REDIRECT_URI, connectionConfig }, CALL);
    return { redirect, obtained, connectionConfig: { ...connectionConfig, ...obtained.connectionConfig } };
  }

  it('are registered for both auth modes', () => {
    expect(authModeStrategy('MCP_OAUTH2')).to.equal(mcpOAuth2);
    expect(authModeStrategy('MCP_OAUTH2_GENERIC')).to.equal(mcpOAuth2Generic);
  });

  describe('MCP_OAUTH2_GENERIC', () => {
    it('discovers the server, registers a client, and sends PKCE S256 and the resource to the authorization endpoint', async () => {
      reset();
      const redirect = await mcpOAuth2Generic.begin!(beginInput(genericEntry), CALL);
      const url = new URL(redirect.url);
      expect(`${url.origin}${url.pathname}`).to.equal(`${mcp.issuer}/authorize`);
      const query = Object.fromEntries(url.searchParams);
      expect(mcp.registrations).to.have.length(1);
      const verifier = redirect.attemptSecrets['pkceVerifier'] ?? '';
      expect(query).to.deep.equal({
        response_type: 'code',
        client_id: mcp.registrations[0]!.clientId,
        redirect_uri: REDIRECT_URI,
        scope: 'mcp:tools',
        state: 'attempt-1',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        resource: mcp.resource,
      });
      expect(redirect.connectionConfig).to.deep.equal({
        mcp_server_url: mcp.serverUrl,
        mcp_authorization_server: mcp.issuer,
        mcp_token_endpoint: `${mcp.issuer}/token`,
        mcp_client_id: mcp.registrations[0]!.clientId,
        mcp_client_auth: 'none',
        mcp_resource: mcp.resource,
      });
    });

    it('registers a public client for our callback (RFC 7591), once per integration, and reuses it', async () => {
      reset();
      await connect(mcpOAuth2Generic, genericEntry);
      expect(mcp.registrations).to.have.length(1);
      expect(mcp.registrations[0]!.body).to.deep.include({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] });
      const [key] = Object.keys(integration.custom);
      expect(key).to.equal(`mcp_registration:${mcp.issuer}/register`);

      const second = await mcpOAuth2Generic.begin!(beginInput(genericEntry, { state: 'attempt-2' }), CALL);
      expect(mcp.registrations).to.have.length(1);
      expect(second.integrationCustom).to.equal(undefined);
      expect(new URL(second.url).searchParams.get('client_id')).to.equal(mcp.registrations[0]!.clientId);
    });

    it('registers again when the callback URL the client was registered for has changed', async () => {
      reset();
      integration.keep(await mcpOAuth2Generic.begin!(beginInput(genericEntry), CALL));
      const moved = await mcpOAuth2Generic.begin!(beginInput(genericEntry, { redirectUri: 'https://elsewhere.example/oauth/callback' }), CALL);
      expect(mcp.registrations).to.have.length(2);
      expect(mcp.registrations[1]!.body['redirect_uris']).to.deep.equal(['https://elsewhere.example/oauth/callback']);
      expect(moved.integrationCustom).to.not.equal(undefined);
    });

    it('exchanges the code with the verifier and the resource, into credentials of the mode\'s type that expire from `now`', async () => {
      reset();
      const { obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      const exchange = mcp.tokenRequests[0]!;
      expect(exchange).to.deep.include({ grant_type: 'authorization_code', client_id: mcp.registrations[0]!.clientId, redirect_uri: REDIRECT_URI, resource: mcp.resource });
      expect(exchange).to.not.have.property('client_secret');
      expect(obtained.credentials.type).to.equal('MCP_OAUTH2_GENERIC');
      expect(mcp.isAccessTokenValid(obtained.credentials.access_token)).to.equal(true);
      expect(obtained.expiresAt?.toISOString()).to.equal(new Date(NOW.getTime() + 3600_000).toISOString());
      expect(obtained.credentials.expires_at).to.equal(obtained.expiresAt?.toISOString());
      expect(connectionConfig).to.include({ mcp_client_id: mcp.registrations[0]!.clientId, mcp_resource: mcp.resource, mcp_token_endpoint: `${mcp.issuer}/token` });
    });

    it('puts the token on MCP requests as a Bearer header with the entry\'s headers, and the MCP server accepts it', async () => {
      reset();
      const { obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      const request = mcpOAuth2Generic.authorize(
        { method: 'POST', url: new URL(mcp.serverUrl), headers: { 'content-type': 'application/json' } },
        { entry: genericEntry, credentials: obtained.credentials, connectionConfig, client: integration, now: NOW },
      );
      expect(request.headers).to.deep.equal({ 'content-type': 'application/json', authorization: `Bearer ${obtained.credentials.access_token}`, accept: 'application/json,text/event-stream' });
      const response = await fetch(request.url, { method: request.method, headers: request.headers, body: '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}' });
      expect(response.status).to.equal(200);
    });

    it('refreshes through the registered client with the resource, keeping the rotated refresh token', async () => {
      reset();
      const { obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      const later = { ...CALL, now: new Date(NOW.getTime() + 50 * 60_000) };
      const renewed = await mcpOAuth2Generic.renew({ entry: genericEntry, credentials: obtained.credentials, connectionConfig, client: integration }, later);
      if (renewed.kind !== 'renewed') throw new Error('expected a refresh');
      const refresh = mcp.tokenRequests[1]!;
      expect(refresh).to.deep.include({ grant_type: 'refresh_token', refresh_token: obtained.credentials.refresh_token, client_id: mcp.registrations[0]!.clientId, resource: mcp.resource });
      expect(renewed.credentials.refresh_token).to.be.a('string').and.not.equal(obtained.credentials.refresh_token);
      expect(renewed.expiresAt?.toISOString()).to.equal(new Date(later.now.getTime() + 3600_000).toISOString());
      expect(mcp.isAccessTokenValid(renewed.credentials.access_token)).to.equal(true);

      // The spent refresh token is refused for good: a permanent failure, never a retry.
      const failure = await failureOf(mcpOAuth2Generic.renew({ entry: genericEntry, credentials: obtained.credentials, connectionConfig, client: integration }, later));
      expect(failure).to.be.instanceOf(ProviderCallError);
      expect(failure.code).to.equal('invalid_grant');
      expect((failure as ProviderCallError).kind).to.equal('permanent');
    });

    it('keeps the refresh token when the server does not rotate it', async () => {
      reset({ rotateRefreshTokens: false });
      const { obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      const renewed = await mcpOAuth2Generic.renew({ entry: genericEntry, credentials: obtained.credentials, connectionConfig, client: integration }, CALL);
      if (renewed.kind !== 'renewed') throw new Error('expected a refresh');
      expect(renewed.credentials.refresh_token).to.equal(obtained.credentials.refresh_token);
    });

    it('refreshes an imported connection that carries only the server URL and client id, discovering the token endpoint', async () => {
      reset();
      const { obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      const imported = mcpOAuth2Generic.fromImport({ type: 'MCP_OAUTH2_GENERIC', access_token: obtained.credentials.access_token, refresh_token: obtained.credentials.refresh_token }, NOW);
      const paths = mcp.paths.length;
      const renewed = await mcpOAuth2Generic.renew(
        { entry: genericEntry, credentials: imported, connectionConfig: { mcp_server_url: mcp.serverUrl, mcp_client_id: connectionConfig['mcp_client_id'] }, client: integration },
        CALL,
      );
      expect(renewed.kind).to.equal('renewed');
      expect(mcp.paths.slice(paths)).to.deep.equal(['/mcp', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-authorization-server/as', '/as/token']);
      expect(mcp.tokenRequests.at(-1)).to.deep.include({ resource: mcp.resource });
    });

    it('keeps a confidential registration\'s secret out of the connection config, and authenticates with it (client_secret_basic)', async () => {
      reset({ confidentialRegistrations: true });
      const { redirect, obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      const secret = mcp.registrations[0]!.clientSecret!;
      expect(JSON.stringify(connectionConfig)).to.not.contain(secret);
      expect(JSON.stringify(redirect.connectionConfig)).to.not.contain(secret);
      expect(redirect.attemptSecrets['mcpClientSecret']).to.equal(secret);
      expect(JSON.parse(integration.custom[`mcp_registration:${mcp.issuer}/register`]!)).to.include({ client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' });
      expect(connectionConfig['mcp_client_auth']).to.equal('client_secret_basic');
      expect(mcp.tokenRequests[0]).to.not.have.property('client_secret');
      expect(provider.calls.find((call) => call.path === '/as/token')?.clientAuth).to.equal('basic');
      // The refresh finds the secret on the integration (the attempt is gone by then).
      const renewed = await mcpOAuth2Generic.renew({ entry: genericEntry, credentials: obtained.credentials, connectionConfig, client: integration }, CALL);
      expect(renewed.kind).to.equal('renewed');
      const refreshCall = provider.calls.filter((call) => call.path === '/as/token').at(-1);
      expect(refreshCall?.status).to.equal(200);
    });

    it('never presents the integration\'s own client and secret to a server the end user names (it registers instead)', async () => {
      reset();
      integration.clientId = 'operator-client';
      integration.clientSecret = 'operator-secret-3b9e1d';
      const { obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      expect(mcp.registrations).to.have.length(1);
      expect(connectionConfig['mcp_client_id']).to.equal(mcp.registrations[0]!.clientId);
      await mcpOAuth2Generic.renew({ entry: genericEntry, credentials: obtained.credentials, connectionConfig: { ...connectionConfig, mcp_client_id: 'operator-client' }, client: integration }, CALL).catch(() => undefined);
      const sent = JSON.stringify([mcp.authorizeRequests, mcp.tokenRequests, provider.calls.map((call) => call.body)]);
      expect(sent).to.not.contain('operator-secret-3b9e1d');
    });

    it('sends the code to the token endpoint begin chose, whatever the connection config says by the callback', async () => {
      reset();
      const other = await startFakeProvider();
      try {
        const elsewhere = mountMcp(other);
        const input = beginInput(genericEntry);
        const redirect = await mcpOAuth2Generic.begin!(input, CALL);
        const received = await authorizeAt(redirect.url);
        const connectionConfig = { ...input.connectionConfig, ...redirect.connectionConfig, mcp_token_endpoint: `${elsewhere.issuer}/token` };
        await mcpOAuth2Generic.complete({ entry: genericEntry, client: integration, received, attemptSecrets: redirect.attemptSecrets, redirectUri: REDIRECT_URI, connectionConfig }, CALL);
        expect(elsewhere.tokenRequests).to.have.length(0);
        expect(mcp.tokenRequests).to.have.length(1);
      } finally {
        await other.close();
      }
    });

    it('sends a registered client\'s secret only to the token endpoint of the server that issued it', async () => {
      reset({ confidentialRegistrations: true });
      const { obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      const secret = mcp.registrations[0]!.clientSecret!;
      const other = await startFakeProvider();
      try {
        const elsewhere = mountMcp(other);
        const moved = { ...connectionConfig, mcp_token_endpoint: `${elsewhere.issuer}/token` };
        await failureOf(mcpOAuth2Generic.renew({ entry: genericEntry, credentials: obtained.credentials, connectionConfig: moved, client: integration }, CALL));
        const [request] = other.calls.filter((call) => call.path === '/as/token');
        expect(request).to.not.equal(undefined);
        expect(JSON.stringify(request!.body)).to.not.contain(secret);
        expect(request!.clientAuth).to.equal('none');
      } finally {
        await other.close();
      }
    });

    it('offers no client and fails with mcp_no_client when the server has no registration endpoint and no CIMD support', async () => {
      reset({ offersRegistration: false });
      expect((await failureOf(mcpOAuth2Generic.begin!(beginInput(genericEntry), CALL))).code).to.equal('mcp_no_client');
    });

    it('fails with mcp_registration_failed, naming the server\'s error, when the registration is refused', async () => {
      reset({ registrationError: { status: 400, error: 'invalid_redirect_uri' } });
      const failure = await failureOf(mcpOAuth2Generic.begin!(beginInput(genericEntry), CALL));
      expect(failure.code).to.equal('mcp_registration_failed');
      expect(failure.message).to.contain('invalid_redirect_uri');
    });

    it('treats a registration endpoint in trouble (503) as transient, storing nothing, and registers at the next attempt', async () => {
      reset({ registrationError: { status: 503, error: 'temporarily_unavailable' } });
      const failure = await failureOf(mcpOAuth2Generic.begin!(beginInput(genericEntry), CALL));
      expect(failure).to.be.instanceOf(ProviderCallError);
      expect(failure.code).to.equal('provider_server_error');
      expect((failure as ProviderCallError).kind).to.equal('transient');
      mcp.knobs.registrationError = null;
      const redirect = await mcpOAuth2Generic.begin!(beginInput(genericEntry), CALL);
      expect(mcp.registrations).to.have.length(1);
      expect(redirect.integrationCustom).to.not.equal(undefined);
    });

    it('treats a token endpoint 5xx at refresh as transient, and the same refresh token works once it is back', async () => {
      reset();
      const { obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      provider.failNext(1, { status: 502 });
      const input = { entry: genericEntry, credentials: obtained.credentials, connectionConfig, client: integration };
      const failure = await failureOf(mcpOAuth2Generic.renew(input, CALL));
      expect((failure as ProviderCallError).kind).to.equal('transient');
      expect((await mcpOAuth2Generic.renew(input, CALL)).kind).to.equal('renewed');
    });

    it('keeps the verifier and every token out of the connection config it returns', async () => {
      reset();
      const { redirect, obtained, connectionConfig } = await connect(mcpOAuth2Generic, genericEntry);
      const config = JSON.stringify([redirect.connectionConfig, connectionConfig, obtained.connectionConfig]);
      for (const secret of [redirect.attemptSecrets['pkceVerifier']!, obtained.credentials.access_token, obtained.credentials.refresh_token!]) expect(config).to.not.contain(secret);
    });

    it('aims the token at the discovered resource whatever authorization_params the caller passes', async () => {
      reset();
      const redirect = await mcpOAuth2Generic.begin!(beginInput(genericEntry, { authorizationParams: { resource: 'https://attacker.example', prompt: 'consent' } }), CALL);
      const query = new URL(redirect.url).searchParams;
      expect(query.getAll('resource')).to.deep.equal([mcp.resource]);
      expect(query.get('prompt')).to.equal('consent');
    });

    it('asks for the challenge\'s scopes, and the integration\'s instead when it has some', async () => {
      reset({ challengeScope: 'files:read files:write' });
      const challenged = await mcpOAuth2Generic.begin!(beginInput(genericEntry), CALL);
      expect(new URL(challenged.url).searchParams.get('scope')).to.equal('files:read files:write');
      const own = await mcpOAuth2Generic.begin!(beginInput(genericEntry, { scopes: ['admin'] }), CALL);
      expect(new URL(own.url).searchParams.get('scope')).to.equal('admin');
    });

    it('refuses a missing or malformed MCP server URL before any request', async () => {
      reset();
      const missing = await failureOf(mcpOAuth2Generic.begin!(beginInput(genericEntry, { connectionConfig: {} }), CALL));
      expect(missing.code).to.equal('missing_connection_config');
      const plainHttp = await failureOf(mcpOAuth2Generic.begin!(beginInput(genericEntry, { connectionConfig: { mcp_server_url: 'http://mcp.example.com/mcp' } }), CALL));
      expect(plainHttp.code).to.equal('invalid_connection_config');
      const userInfo = await failureOf(mcpOAuth2Generic.begin!(beginInput(genericEntry, { connectionConfig: { mcp_server_url: 'https://user:pw@mcp.example.com/mcp' } }), CALL));
      expect(userInfo.code).to.equal('invalid_connection_config');
      expect(mcp.paths).to.deep.equal([]);
    });

    it('refuses a callback naming another issuer (RFC 9207), a denied authorization and a callback without code', async () => {
      reset();
      const input = beginInput(genericEntry);
      const redirect = await mcpOAuth2Generic.begin!(input, CALL);
      const received = await authorizeAt(redirect.url);
      const connectionConfig = { ...input.connectionConfig, ...redirect.connectionConfig };
      const complete = (query: Record<string, string>) =>
        failureOf(mcpOAuth2Generic.complete({ entry: genericEntry, client: integration, received: query, attemptSecrets: redirect.attemptSecrets, redirectUri: REDIRECT_URI, connectionConfig }, CALL));
      expect((await complete({ ...received, iss: 'https://evil.example' })).code).to.equal('authorization_failed');
      expect((await complete({ error: 'access_denied', state: 'attempt-1' })).code).to.equal('authorization_denied');
      expect((await complete({ state: 'attempt-1' })).code).to.equal('missing_code');
      expect(mcp.tokenRequests).to.have.length(0);
    });
  });

  describe('Client ID Metadata Documents', () => {
    let custodian: Server;
    let documentUrl: string;

    before(async () => {
      // Stands for Custodian's own route: the document the authorization server fetches to learn who we are.
      custodian = createServer((req, res) => {
        const body = clientMetadataDocument({ clientId: documentUrl, redirectUri: REDIRECT_URI, clientName: 'Custodian' });
        res.writeHead(req.url === new URL(documentUrl).pathname ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      await new Promise<void>((resolve) => custodian.listen(0, '127.0.0.1', resolve));
      documentUrl = `http://127.0.0.1:${(custodian.address() as AddressInfo).port}/mcp/client-metadata/dev/fake-mcp.json`;
    });
    after(() => new Promise<void>((resolve) => custodian.close(() => resolve())));

    it('use our document URL as client_id when the server supports it, and the server accepts it after fetching it', async () => {
      reset({ acceptsClientMetadata: true });
      const { redirect, obtained } = await connect(mcpOAuth2Generic, genericEntry, { clientMetadataUrl: documentUrl });
      expect(new URL(redirect.url).searchParams.get('client_id')).to.equal(documentUrl);
      expect(mcp.registrations).to.have.length(0);
      expect(redirect.integrationCustom).to.equal(undefined);
      expect(mcp.fetchedClientMetadata).to.include(documentUrl);
      expect(mcp.tokenRequests[0]).to.deep.include({ client_id: documentUrl });
      expect(mcp.isAccessTokenValid(obtained.credentials.access_token)).to.equal(true);
    });

    it('are not used when the server does not say it supports them (registration instead)', async () => {
      reset({ acceptsClientMetadata: false });
      const redirect = await mcpOAuth2Generic.begin!(beginInput(genericEntry, { clientMetadataUrl: documentUrl }), CALL);
      expect(new URL(redirect.url).searchParams.get('client_id')).to.equal(mcp.registrations[0]!.clientId);
    });

    it('are offered only where the authorization server can fetch them: https, or loopback on both sides', async () => {
      const choose = (clientMetadataUrl: string, authorizationEndpoint: string) =>
        chooseClient({
          approach: 'discovered',
          integration: new Integration(),
          redirectUri: REDIRECT_URI,
          clientMetadataUrl,
          authorizationEndpoint,
          tokenEndpoint: 'https://as.example/token',
          acceptsClientMetadata: true,
          provider: 'Some MCP',
          call: CALL,
        });
      expect((await choose('https://custodian.example/mcp/client-metadata/e/k.json', 'https://as.example/authorize')).client).to.deep.equal({
        clientId: 'https://custodian.example/mcp/client-metadata/e/k.json',
        authMethod: 'none',
      });
      // A local SERVER_URL is no client id for a server on the internet (it could not fetch it): no client at all here.
      expect((await failureOf(choose('http://localhost:3003/mcp/client-metadata/e/k.json', 'https://as.example/authorize'))).code).to.equal('mcp_no_client');
      expect((await choose('http://localhost:3003/mcp/client-metadata/e/k.json', 'http://127.0.0.1:9999/authorize')).client.clientId).to.equal('http://localhost:3003/mcp/client-metadata/e/k.json');
    });

    it('a MCP_OAUTH2 entry with client_registration cimd needs our document URL (mcp_no_client without one)', async () => {
      reset({ acceptsClientMetadata: true });
      const cimdEntry = nangoEntrySchema.parse(fakeMcpEntry(provider, { client_registration: 'cimd', registration_url: undefined }));
      expect((await failureOf(mcpOAuth2.begin!(beginInput(cimdEntry), CALL))).code).to.equal('mcp_no_client');
      const { obtained } = await connect(mcpOAuth2, cimdEntry, { clientMetadataUrl: documentUrl });
      expect(mcp.isAccessTokenValid(obtained.credentials.access_token)).to.equal(true);
    });
  });

  describe('MCP_OAUTH2 (endpoints from the catalog)', () => {
    it('authorizes at the catalog\'s endpoints without discovery, registering at registration_url once, with the catalog\'s resource', async () => {
      reset();
      const { redirect, obtained, connectionConfig } = await connect(mcpOAuth2, catalogEntry);
      expect(mcp.paths).to.deep.equal(['/as/register', '/as/authorize', '/as/token']);
      expect(new URL(redirect.url).searchParams.getAll('resource')).to.deep.equal([mcp.resource]);
      expect(mcp.registrations[0]!.body).to.deep.include({ grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] });
      expect(mcp.tokenRequests[0]).to.deep.include({ resource: mcp.resource });
      expect(connectionConfig).to.deep.equal({ mcp_client_id: mcp.registrations[0]!.clientId, mcp_client_auth: 'none', mcp_resource: mcp.resource });

      await connect(mcpOAuth2, catalogEntry, { state: 'attempt-2' });
      expect(mcp.registrations).to.have.length(1);

      const renewed = await mcpOAuth2.renew({ entry: catalogEntry, credentials: obtained.credentials, connectionConfig, client: integration }, CALL);
      expect(renewed.kind).to.equal('renewed');
      expect(mcp.tokenRequests.at(-1)).to.deep.include({ grant_type: 'refresh_token', resource: mcp.resource, client_id: mcp.registrations[0]!.clientId });
    });

    it('with client_registration static, uses the integration\'s client and secret at the token endpoint', async () => {
      reset({ staticClient: { clientId: 'asana-like-client', clientSecret: 'asana-like-secret-41aa', redirectUri: REDIRECT_URI } });
      integration.clientId = 'asana-like-client';
      integration.clientSecret = 'asana-like-secret-41aa';
      const staticEntry = nangoEntrySchema.parse(fakeMcpEntry(provider, { client_registration: 'static', registration_url: undefined, registration_params: undefined }));
      const { obtained, connectionConfig } = await connect(mcpOAuth2, staticEntry);
      expect(mcp.registrations).to.have.length(0);
      expect(mcp.tokenRequests[0]).to.deep.include({ client_id: 'asana-like-client', client_secret: 'asana-like-secret-41aa', resource: mcp.resource });
      const renewed = await mcpOAuth2.renew({ entry: staticEntry, credentials: obtained.credentials, connectionConfig, client: integration }, CALL);
      expect(renewed.kind).to.equal('renewed');
      expect(mcp.tokenRequests.at(-1)).to.deep.include({ grant_type: 'refresh_token', client_secret: 'asana-like-secret-41aa' });
    });

    it('with client_registration static and no client on the integration, refuses with integration_missing_client', async () => {
      reset();
      const staticEntry = nangoEntrySchema.parse(fakeMcpEntry(provider, { client_registration: 'static', registration_url: undefined }));
      expect((await failureOf(mcpOAuth2.begin!(beginInput(staticEntry), CALL))).code).to.equal('integration_missing_client');
    });

    it('refreshes an imported connection (no mcp_* config) with the integration\'s registered client', async () => {
      reset();
      const { obtained } = await connect(mcpOAuth2, catalogEntry);
      const imported = mcpOAuth2.fromImport({ type: 'MCP_OAUTH2', access_token: obtained.credentials.access_token, refresh_token: obtained.credentials.refresh_token }, NOW);
      const renewed = await mcpOAuth2.renew({ entry: catalogEntry, credentials: imported, connectionConfig: {}, client: integration }, CALL);
      expect(renewed.kind).to.equal('renewed');
      expect(mcp.tokenRequests.at(-1)).to.deep.include({ client_id: mcp.registrations[0]!.clientId, resource: mcp.resource });
    });

    it('is refreshed before expiry only when it holds a refresh token, and without one the renewal is a permanent missing_refresh_token', async () => {
      const credentials: McpOAuth2Credentials = { type: 'MCP_OAUTH2', access_token: 'at-without-refresh-0001', expires_at: NOW.toISOString(), raw: {} };
      expect(mcpOAuth2.upkeep(catalogEntry, credentials)).to.deep.equal({ kind: 'refresh', beforeExpiry: false });
      expect(mcpOAuth2.upkeep(catalogEntry, { ...credentials, refresh_token: 'rt-0001-0001' })).to.deep.equal({ kind: 'refresh', beforeExpiry: true });
      expect(mcpOAuth2.expiresAt(credentials)?.toISOString()).to.equal(NOW.toISOString());
      const failure = await failureOf(mcpOAuth2.renew({ entry: catalogEntry, credentials, connectionConfig: {}, client: integration }, CALL));
      expect(failure.code).to.equal('missing_refresh_token');
      expect(mcpOAuth2.secretsOf({ ...credentials, refresh_token: 'rt-0001-0001' })).to.deep.equal(['at-without-refresh-0001', 'rt-0001-0001']);
    });

    it('imports credentials of its own type, and the legacy flat body', () => {
      expect(mcpOAuth2.importSchema.safeParse({ type: 'MCP_OAUTH2', access_token: 'a', expires_at: '2031-01-01T00:00:00Z' }).success).to.equal(true);
      expect(mcpOAuth2.importSchema.safeParse({ type: 'OAUTH2', access_token: 'a' }).success).to.equal(false);
      expect(mcpOAuth2Generic.importSchema.safeParse({ type: 'MCP_OAUTH2', access_token: 'a' }).success).to.equal(false);
      expect(mcpOAuth2.importSchema.safeParse({ type: 'MCP_OAUTH2' }).success).to.equal(false);
      expect(mcpOAuth2Generic.fromLegacyImport!({ access_token: 'legacy-at-0001', refresh_token: 'legacy-rt-0001', expires_in: 60 }, NOW)).to.deep.equal({
        type: 'MCP_OAUTH2_GENERIC',
        access_token: 'legacy-at-0001',
        refresh_token: 'legacy-rt-0001',
        expires_at: new Date(NOW.getTime() + 60_000).toISOString(),
        raw: {},
      });
    });
  });
});

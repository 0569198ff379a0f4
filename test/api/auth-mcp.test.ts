import { expect } from 'chai';
import { Nango } from '@nangohq/node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { defaultMcpKnobs, fakeMcpEntry, fakeMcpGenericEntry, mountMcp, type McpFake } from '../support/fake-modes/mcp';
import { http } from '../support/http';
import { CookieJar } from '../support/cookie-jar';
import { AuthAttemptEntity, ConnectionEntity, IntegrationEntity, type EnvironmentEntity } from '../../src/db/entities';
import { customSecretsOf } from '../../src/integrations/integration-store';
import { auditHistories } from '../support/history-audit';
import { knownSecrets } from '../support/secret-registry';

/** One browser for the file's flows: the callback must come from the browser that started the attempt. */
const browser = new CookieJar();

describe('MCP authorization through the API (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let mcp: McpFake;
  let environment: EnvironmentEntity;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      extraProviders: (provider) => ({
        'fake-mcp': fakeMcpEntry(provider),
        'fake-mcp-generic': fakeMcpGenericEntry(),
      }),
    });
    environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    for (const [uniqueKey, provider] of [['mcp', 'fake-mcp'], ['mcp-any', 'fake-mcp-generic'], ['mcp-cimd', 'fake-mcp-generic'], ['mcp-confidential', 'fake-mcp']]) {
      await rig.api.deps.integrations.create(environment.id, { uniqueKey: uniqueKey!, provider: provider!, displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
    }
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });
  before(() => {
    // One authorization server for the file: the integrations keep their registrations from test to test, as in life.
    mcp = mountMcp(rig.provider);
  });
  beforeEach(() => {
    Object.assign(mcp.knobs, defaultMcpKnobs());
  });

  /** What the fake received from now on. */
  function since() {
    const marks = { registrations: mcp.registrations.length, authorize: mcp.authorizeRequests.length, token: mcp.tokenRequests.length, paths: mcp.paths.length, fetched: mcp.fetchedClientMetadata.length };
    return {
      registrations: () => mcp.registrations.slice(marks.registrations),
      authorize: () => mcp.authorizeRequests.slice(marks.authorize),
      token: () => mcp.tokenRequests.slice(marks.token),
      paths: () => mcp.paths.slice(marks.paths),
      fetched: () => mcp.fetchedClientMetadata.slice(marks.fetched),
    };
  }

  async function session(): Promise<string> {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'mcp-user' } } });
    expect(created.status).to.equal(201);
    return created.body.data.token as string;
  }

  /** GET /oauth/connect/:key → the authorization server → /oauth/callback, as a browser; the attempt and the callback page. */
  async function connect(key: string, params: Record<string, string> = {}): Promise<{ attempt: AuthAttemptEntity; page: string; status: number }> {
    const query = new URLSearchParams({ connect_session_token: await session() });
    for (const [name, value] of Object.entries(params)) query.set(`params[${name}]`, value);
    const start = await browser.fetch(`${rig.api.url}/oauth/connect/${key}?${query}`, { redirect: 'manual' });
    expect(start.status, await start.clone().text()).to.equal(302);
    const authorize = new URL(start.headers.get('location')!);
    const callback = (await browser.fetch(authorize, { redirect: 'manual' })).headers.get('location')!;
    expect(callback.startsWith(`${rig.api.url}/oauth/callback?`)).to.equal(true);
    const response = await browser.fetch(callback);
    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: authorize.searchParams.get('state')! });
    return { attempt, page: await response.text(), status: response.status };
  }

  async function integration(key: string): Promise<IntegrationEntity> {
    return rig.api.deps.db.getRepository(IntegrationEntity).findOneByOrFail({ environmentId: environment.id, uniqueKey: key });
  }

  const getConnection = (key: string, connectionId: string, query = '') =>
    http(rig.api.url, 'GET', `/connections/${encodeURIComponent(connectionId)}?provider_config_key=${key}${query}`, { token: rig.api.secretKey });

  it('MCP_OAUTH2_GENERIC: discovers the server the end user names, registers once, and stores a connection whose token the MCP server accepts', async () => {
    const { attempt, page, status } = await connect('mcp-any', { mcp_server_url: mcp.serverUrl });
    expect(status).to.equal(200);
    expect(page).to.include('nango_oauth_callback_success');
    expect(attempt).to.include({ status: 'succeeded', operation: 'creation', secretsEncrypted: null, credentialsEncrypted: null });
    expect(mcp.registrations).to.have.length(1);
    expect(mcp.authorizeRequests[0]).to.include({ code_challenge_method: 'S256', resource: mcp.resource, redirect_uri: `${rig.api.url}/oauth/callback` });
    expect(mcp.tokenRequests[0]).to.include({ grant_type: 'authorization_code', resource: mcp.resource });

    const got = await getConnection('mcp-any', attempt.connectionId);
    expect(got.status).to.equal(200);
    expect(got.body.credentials.type, "Nango's API shows MCP credentials as OAUTH2").to.equal('OAUTH2');
    expect(mcp.isAccessTokenValid(got.body.credentials.access_token)).to.equal(true);
    expect(got.body.connection_config).to.deep.include({ mcp_server_url: mcp.serverUrl, mcp_client_id: mcp.registrations[0]!.clientId, mcp_resource: mcp.resource, mcp_token_endpoint: `${mcp.issuer}/token` });

    // The registration is kept encrypted on the integration, not in its plain custom settings.
    const stored = await integration('mcp-any');
    expect(JSON.stringify(stored.custom)).to.not.contain(mcp.registrations[0]!.clientId);
    expect(Object.keys(customSecretsOf(rig.api.deps.cipher, stored))).to.deep.equal([`mcp_registration:${mcp.issuer}/register`]);

    // A second end user of the same server: the registered client is reused.
    const second = await connect('mcp-any', { mcp_server_url: mcp.serverUrl });
    expect(second.attempt.status).to.equal('succeeded');
    expect(mcp.registrations).to.have.length(1);
    expect(mcp.authorizeRequests[1]?.client_id).to.equal(mcp.registrations[0]!.clientId);
  });

  it('MCP_OAUTH2: the catalog\'s endpoints and resource; GET with force_refresh refreshes through the registered client and answers fresh credentials', async () => {
    const seen = since();
    const { attempt } = await connect('mcp');
    expect(attempt.status).to.equal('succeeded');
    expect(seen.paths()).to.deep.equal(['/as/register', '/as/authorize', '/as/token']);
    const [registration] = seen.registrations();
    const first = await getConnection('mcp', attempt.connectionId, '&refresh_token=true');
    // Nango's API shows MCP credentials as OAUTH2 (what @nangohq/node's getToken() reads the access token of).
    expect(first.body.credentials.type).to.equal('OAUTH2');

    const refreshed = await getConnection('mcp', attempt.connectionId, '&force_refresh=true&refresh_token=true');
    expect(refreshed.status).to.equal(200);
    const refresh = mcp.tokenRequests.at(-1)!;
    expect(refresh).to.include({ grant_type: 'refresh_token', refresh_token: first.body.credentials.refresh_token, resource: mcp.resource, client_id: registration!.clientId });
    expect(refreshed.body.credentials.access_token).to.not.equal(first.body.credentials.access_token);
    expect(refreshed.body.credentials.refresh_token, 'the rotated refresh token is stored').to.not.equal(first.body.credentials.refresh_token);
    expect(mcp.isAccessTokenValid(refreshed.body.credentials.access_token)).to.equal(true);
  });

  it('with a Client ID Metadata Document: the authorization server fetches ours from the API and accepts our URL as client_id', async () => {
    mcp.knobs.acceptsClientMetadata = true;
    const seen = since();
    const { attempt } = await connect('mcp-cimd', { mcp_server_url: mcp.serverUrl });
    expect(attempt.status).to.equal('succeeded');
    const documentUrl = `${rig.api.url}/mcp/client-metadata/${environment.id}/mcp-cimd.json`;
    expect(seen.registrations()).to.have.length(0);
    expect(seen.authorize()[0]?.client_id).to.equal(documentUrl);
    // At the authorization and again at the token request (the fake does not cache it).
    expect(seen.fetched()).to.include(documentUrl);
    expect(Object.keys(customSecretsOf(rig.api.deps.cipher, await integration('mcp-cimd')))).to.deep.equal([]);
  });

  it('a token endpoint refusing the code stores nothing: the callback page says why, no connection row', async () => {
    const before = await rig.api.deps.db.getRepository(ConnectionEntity).count();
    rig.provider.failNext(1, { status: 400, body: { error: 'invalid_grant' } });
    const { attempt, page, status } = await connect('mcp-any', { mcp_server_url: mcp.serverUrl });
    expect(status).to.equal(400);
    expect(page).to.include('nango_oauth_callback_error');
    expect(attempt).to.include({ status: 'failed', errorCode: 'invalid_grant', credentialsEncrypted: null, secretsEncrypted: null, connectionRowId: null });
    expect(await rig.api.deps.db.getRepository(ConnectionEntity).count()).to.equal(before);
  });

  it('a server that does not support PKCE S256 is refused before the browser leaves', async () => {
    mcp.knobs.pkceMethods = ['plain'];
    const seen = since();
    const query = new URLSearchParams({ connect_session_token: await session(), 'params[mcp_server_url]': mcp.serverUrl });
    const start = await browser.fetch(`${rig.api.url}/oauth/connect/mcp-any?${query}`, { redirect: 'manual' });
    expect(start.status).to.not.equal(302);
    expect(await start.text()).to.include('mcp_pkce_unsupported');
    expect(seen.registrations()).to.have.length(0);
    expect(seen.authorize()).to.have.length(0);
  });

  it('no workflow history holds a secret: the registered client\'s secret, the verifier, the code or a token', async () => {
    mcp.knobs.confidentialRegistrations = true;
    const seen = since();
    const { attempt } = await connect('mcp-confidential');
    expect(attempt.status).to.equal('succeeded');
    const refreshed = await getConnection('mcp-confidential', attempt.connectionId, '&force_refresh=true');
    expect(refreshed.status).to.equal(200);
    const secret = seen.registrations()[0]!.clientSecret!;
    const [exchange] = seen.token();
    // The audit looks for exactly what this flow sent and received.
    expect(knownSecrets()).to.include.members([secret, exchange!['code_verifier'] as string, exchange!['code'] as string, refreshed.body.credentials.access_token as string]);
    const audit = await auditHistories(env.client);
    expect(audit.histories).to.be.greaterThan(0);
    expect(audit.hits).to.deep.equal([]);
  });

  it('imports with POST /connections, refreshes the import with the resource, and @nangohq/node reads the credential shape', async () => {
    const { attempt } = await connect('mcp-any', { mcp_server_url: mcp.serverUrl });
    const original = await getConnection('mcp-any', attempt.connectionId, '&refresh_token=true');
    const clientId = original.body.connection_config.mcp_client_id as string;
    const imported = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: {
        provider_config_key: 'mcp-any',
        connection_id: 'imported-mcp',
        connection_config: { mcp_server_url: mcp.serverUrl, mcp_client_id: clientId },
        credentials: { type: 'MCP_OAUTH2_GENERIC', access_token: original.body.credentials.access_token, refresh_token: original.body.credentials.refresh_token, expires_at: new Date(Date.now() + 60_000).toISOString() },
      },
    });
    expect(imported.status, JSON.stringify(imported.body)).to.equal(201);
    expect(imported.body.credentials.type).to.equal('OAUTH2');

    const wrongType = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: { provider_config_key: 'mcp-any', connection_id: 'imported-wrong', credentials: { type: 'API_KEY', apiKey: 'key-of-another-mode-01' } },
    });
    expect(wrongType.status).to.equal(400);
    expect(wrongType.body.error.code).to.equal('invalid_body');

    // Expiring within the margin: the read refreshes first (the token endpoint is rediscovered from the server URL).
    const nango = new Nango({ secretKey: rig.api.secretKey, host: rig.api.url });
    const connection = await nango.getConnection('mcp-any', 'imported-mcp');
    const credentials = connection.credentials as unknown as Record<string, unknown>;
    expect(credentials).to.include({ type: 'OAUTH2' });
    expect(credentials).to.have.keys('type', 'access_token', 'expires_at', 'raw');
    expect(credentials['access_token']).to.not.equal(original.body.credentials.access_token);
    expect(mcp.isAccessTokenValid(credentials['access_token'] as string)).to.equal(true);
    expect(mcp.tokenRequests.at(-1)).to.include({ grant_type: 'refresh_token', client_id: clientId, resource: mcp.resource });
    // So getToken() hands over the access token, as it does for Nango's MCP connections.
    expect(await nango.getToken('mcp-any', 'imported-mcp')).to.equal(credentials['access_token']);

    // A backend moving from Nango imports MCP connections typed OAUTH2, as Nango shows them.
    const asNango = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: {
        provider_config_key: 'mcp-any',
        connection_id: 'imported-as-nango',
        connection_config: { mcp_server_url: mcp.serverUrl, mcp_client_id: clientId },
        credentials: { type: 'OAUTH2', access_token: 'at-imported-as-nango-01', expires_at: new Date(Date.now() + 3_600_000).toISOString() },
      },
    });
    expect(asNango.status, JSON.stringify(asNango.body)).to.equal(201);
    const stored = rig.api.deps.connections.credentialsOf((await rig.api.deps.connections.findByRowId(asNango.body.id as string))!);
    expect(stored.type, 'stored in its own mode').to.equal('MCP_OAUTH2_GENERIC');
  });
});

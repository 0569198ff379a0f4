import { expect } from 'chai';
import { Nango } from '@nangohq/node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { mountTwoStep, type TwoStepFake } from '../support/fake-modes/two-step';
import { auditHistories } from '../support/history-audit';
import { http, type HttpResult } from '../support/http';
import { AuthAttemptEntity, ConnectionEntity, type EnvironmentEntity } from '../../src/db/entities';

const USER = { username: 'api-user', password: 'correct-horse-battery' };
const API_KEY = 'fake-two-step-api-key-7d1e';

/** A TWO_STEP entry logging in at the fake provider with a JSON body and an API key header. */
function twoStepEntry(url: string): Record<string, unknown> {
  return {
    display_name: 'Fake two-step',
    categories: ['dev-tools'],
    docs: 'https://example.com/fake-two-step',
    auth_mode: 'TWO_STEP',
    token_url: `${url}/two-step/login`,
    body_format: 'json',
    token_params: { username: '${credentials.username}', password: '${credentials.password}', tenant: '${connectionConfig.tenant}' },
    token_headers: { 'x-api-key': '${credentials.apiKey}' },
    token_response: { token: 'data.session.token', token_expiration: 'data.session.expires_in', token_expiration_strategy: 'expireIn' },
    connection_config: { tenant: { type: 'string', title: 'Tenant', description: 'Tenant', pattern: '^[a-z]+$' } },
    credentials: {
      username: { type: 'string', title: 'Username', description: 'User' },
      password: { type: 'string', title: 'Password', description: 'Password', secret: true },
      apiKey: { type: 'string', title: 'API key', description: 'Key', secret: true },
    },
    proxy: { base_url: url },
  };
}

/** A TWO_STEP entry with an RS256 client assertion signed with a key given as `assertionOption` (NetSuite's shape). */
function clientAssertionEntry(url: string): Record<string, unknown> {
  return {
    display_name: 'Fake two-step JWT',
    categories: ['dev-tools'],
    docs: 'https://example.com/fake-two-step-jwt',
    auth_mode: 'TWO_STEP',
    body_format: 'form',
    token_url: `${url}/two-step/jwt-bearer`,
    token_params: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: '${credentials.assertion}' },
    assertion: { type: 'jwt', key: '${assertionOption.privateKey}', lifetimeInSeconds: 300, header: { alg: 'RS256' }, payload: { iss: '${credentials.clientId}', aud: `${url}/two-step/jwt-bearer`, jti: '${random}' } },
    token_response: { token: 'access_token', token_expiration: 'expires_in', token_expiration_strategy: 'expireIn' },
    credentials: { clientId: { type: 'string', title: 'Client ID', description: 'Client' }, assertion: { type: 'string', title: 'Assertion', description: 'Signed per request', automated: true } },
    assertion_option: { privateKey: { type: 'string', title: 'Private key', description: 'PEM', secret: true } },
  };
}

describe('TWO_STEP through the API: form connect, import, fresh reads (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let fake: TwoStepFake;
  let environment: EnvironmentEntity;

  before(async () => {
    env = await createDevServerEnv();
    // REFRESH_FLOOR off: a forced read right after another must reach the provider.
    rig = await startConnectionsRig(env, {
      configEnv: { REFRESH_FLOOR: '0s' },
      extraProviders: (provider) => ({ 'fake-two-step': twoStepEntry(provider.url), 'fake-two-step-jwt': clientAssertionEntry(provider.url) }),
    });
    fake = mountTwoStep(rig.provider, { apiKey: API_KEY });
    environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'two', provider: 'fake-two-step', displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
    await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'two-jwt', provider: 'fake-two-step-jwt', displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  async function session(): Promise<string> {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'u-two', email: 'two@example.com' } } });
    expect(created.status).to.equal(201);
    return created.body.data.token as string;
  }

  async function liveConnections(): Promise<ConnectionEntity[]> {
    return rig.api.deps.db.getRepository(ConnectionEntity).find({ where: { environmentId: environment.id } });
  }

  async function getConnection(connectionId: string, query = ''): Promise<HttpResult> {
    return http(rig.api.url, 'GET', `/connections/${connectionId}?provider_config_key=two${query}`, { token: rig.api.secretKey });
  }

  it('POST /auth/two-step/:key: refused credentials store nothing; the right ones connect and GET returns the TWO_STEP shape', async () => {
    const token = await session();
    const before = (await liveConnections()).length;
    const wrong = await http(rig.api.url, 'POST', `/auth/two-step/two?connect_session_token=${token}&params[tenant]=acme`, { body: { type: 'TWO_STEP', username: 'api-user', password: 'not-the-password', apiKey: API_KEY } });
    expect(wrong.status).to.equal(400);
    expect(wrong.body.error.code).to.equal('connection_test_failed');
    expect(JSON.stringify(wrong.body)).not.to.include('not-the-password');
    expect((await liveConnections()).length).to.equal(before);
    const failed = await rig.api.deps.db.getRepository(AuthAttemptEntity).find({ where: { status: 'failed' } });
    expect(failed.every((attempt) => attempt.credentialsEncrypted === null)).to.equal(true);

    const right = await http(rig.api.url, 'POST', `/auth/two-step/two?connect_session_token=${token}&params[tenant]=acme`, { body: { type: 'TWO_STEP', ...USER, apiKey: API_KEY } });
    expect(right.status).to.equal(200);
    expect(right.body).to.have.keys(['connectionId', 'providerConfigKey']);
    const login = rig.provider.calls.filter((call) => call.path === '/two-step/login').at(-1)!;
    expect(login.body).to.deep.equal({ ...USER, tenant: 'acme' });
    const got = await getConnection(right.body.connectionId as string);
    expect(got.status).to.equal(200);
    const { credentials } = got.body;
    expect(credentials).to.include({ type: 'TWO_STEP', ...USER, apiKey: API_KEY });
    expect(fake.isValid(credentials.token)).to.equal(true);
    expect(Date.parse(credentials.expires_at) - Date.now()).to.be.within(3_500_000, 3_600_000);
    expect(got.body.connection_config).to.deep.equal({ tenant: 'acme' });
  });

  it('POST /auth/two-step/:key refuses a body missing a required field (400 invalid_body) and stores nothing', async () => {
    const token = await session();
    const before = (await liveConnections()).length;
    const calls = fake.counts.get('/two-step/login') ?? 0;
    const response = await http(rig.api.url, 'POST', `/auth/two-step/two?connect_session_token=${token}&params[tenant]=acme`, { body: { username: 'api-user', apiKey: API_KEY } });
    expect(response.status).to.equal(400);
    expect(response.body.error).to.deep.equal({ code: 'invalid_body', message: 'The credentials are incomplete or malformed: password: Password is required' });
    expect((await liveConnections()).length).to.equal(before);
    expect(fake.counts.get('/two-step/login') ?? 0).to.equal(calls);
  });

  it('POST /connections imports TWO_STEP credentials with the token their check obtained, refusing ones the provider refuses; force_refresh obtains a new token', async () => {
    const before = (await liveConnections()).length;
    const refused = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: { provider_config_key: 'two', connection_id: 'imported-refused', connection_config: { tenant: 'acme' }, credentials: { type: 'TWO_STEP', username: 'api-user', password: 'nope-nope-nope', apiKey: API_KEY } },
    });
    expect(refused.status).to.equal(400);
    expect(refused.body.error.code).to.equal('connection_test_failed');
    expect((await liveConnections()).length).to.equal(before);

    const imported = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: { provider_config_key: 'two', connection_id: 'imported', connection_config: { tenant: 'acme' }, credentials: { type: 'TWO_STEP', ...USER, apiKey: API_KEY } },
    });
    expect(imported.status).to.equal(201);
    expect(imported.body.credentials).to.include({ type: 'TWO_STEP', ...USER });
    // The check logged in with the typed credentials: the token it obtained is the one stored.
    expect(fake.isValid(imported.body.credentials.token)).to.equal(true);
    const first = await getConnection('imported');
    expect(first.status).to.equal(200);
    expect(first.body.credentials.token).to.equal(imported.body.credentials.token);
    const forced = await getConnection('imported', '&force_refresh=true');
    expect(forced.status).to.equal(200);
    expect(forced.body.credentials.token).not.to.equal(first.body.credentials.token);
    expect(fake.isValid(forced.body.credentials.token)).to.equal(true);
  });

  it('@nangohq/node getConnection returns the TWO_STEP credentials', async () => {
    const imported = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: { provider_config_key: 'two', connection_id: 'sdk', connection_config: { tenant: 'acme' }, credentials: { type: 'TWO_STEP', ...USER, apiKey: API_KEY } },
    });
    expect(imported.status).to.equal(201);
    const nango = new Nango({ secretKey: rig.api.secretKey, host: rig.api.url });
    const connection = await nango.getConnection('two', 'sdk');
    const credentials = connection.credentials as unknown as Record<string, unknown>;
    expect(credentials).to.include({ type: 'TWO_STEP', ...USER, apiKey: API_KEY });
    expect(fake.isValid(String(credentials.token))).to.equal(true);
  });

  it('@nangohq/frontend auth() with TWO_STEP credentials connects through /auth/two-step', async () => {
    const { default: Frontend } = (await import('@nangohq/frontend')) as unknown as { default: new (options: Record<string, unknown>) => { auth(key: string, options: Record<string, unknown>): Promise<{ connectionId: string; providerConfigKey: string }> } };
    const frontend = new Frontend({ host: rig.api.url, connectSessionToken: await session() });
    const result = await frontend.auth('two', { params: { tenant: 'acme' }, credentials: { type: 'TWO_STEP', ...USER, apiKey: API_KEY } });
    expect(result.providerConfigKey).to.equal('two');
    const got = await getConnection(result.connectionId);
    expect(got.body.credentials).to.include({ type: 'TWO_STEP', username: USER.username });
    expect(fake.isValid(got.body.credentials.token)).to.equal(true);
  });

  it('@nangohq/frontend auth() with an assertionOption key: the assertion verifies, and is signed again at each renewal', async () => {
    const { default: Frontend } = (await import('@nangohq/frontend')) as unknown as { default: new (options: Record<string, unknown>) => { auth(key: string, options: Record<string, unknown>): Promise<{ connectionId: string }> } };
    const frontend = new Frontend({ host: rig.api.url, connectSessionToken: await session() });
    const verified = fake.verifiedClaims.length;
    const result = await frontend.auth('two-jwt', { credentials: { type: 'TWO_STEP', clientId: 'client-77' }, assertionOption: { privateKey: fake.privateKeyPem } });
    expect(fake.verifiedClaims.slice(verified).map((claims) => claims.iss)).to.deep.equal(['client-77']);
    const forced = await http(rig.api.url, 'GET', `/connections/${result.connectionId}?provider_config_key=two-jwt&force_refresh=true`, { token: rig.api.secretKey });
    expect(forced.status).to.equal(200);
    expect(fake.verifiedClaims.slice(verified)).to.have.length(2);
    expect(fake.isValid(forced.body.credentials.token)).to.equal(true);
    expect(forced.body.credentials).to.not.have.property('assertion');
    // The private key is kept (encrypted) to sign each renewal, and never shown back, even with refresh_token=true.
    const full = await http(rig.api.url, 'GET', `/connections/${result.connectionId}?provider_config_key=two-jwt&refresh_token=true`, { token: rig.api.secretKey });
    expect(full.body.credentials).to.include({ clientId: 'client-77' });
    expect(full.body.credentials).to.not.have.property('assertionOption');
    expect(JSON.stringify(full.body)).to.not.include('PRIVATE KEY');
  });

  it('leaves no password, API key or token in any workflow history', async () => {
    const audit = await auditHistories(env.client);
    expect(audit.histories).to.be.greaterThan(0);
    expect(fake.tokens.length).to.be.greaterThan(0);
    expect(audit.hits).to.deep.equal([]);
  });
});

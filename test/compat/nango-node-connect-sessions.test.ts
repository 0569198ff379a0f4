import { Nango } from '@nangohq/node';
import { expect } from 'chai';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

const CONNECT_URL = 'https://connect.example.com';
const TOKEN = /^nango_connect_session_[0-9a-f]{64}$/;

interface SdkFailure {
  response?: { status: number; data: { error: { code: string; message: string; errors?: Array<{ path: unknown[] }> } } };
}
const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: SdkFailure) => error);

/** The official SDK pointed at Custodian: connect sessions (API.md §1). */
describe('@nangohq/node against Custodian: connect sessions', () => {
  let api: TestApi;
  let nango: Nango;
  before(async () => {
    api = await startTestApi({ env: { CONNECT_URL } });
    nango = new Nango({ host: api.url, secretKey: api.secretKey });
    await nango.createIntegration({ provider: 'github', unique_key: 'github' });
    await nango.createIntegration({ provider: 'slack', unique_key: 'slack' });
  });
  after(async () => api?.close());

  const connectSession = async (token: string) => {
    const res = await http(api.url, 'GET', '/connect/session', { token });
    expect(res.status).to.equal(200);
    return res.body.data;
  };

  it('createConnectSession returns the token, a connect link and the expiry; the Connect UI then reads the session', async () => {
    const { data } = await nango.createConnectSession({
      end_user: { id: 'user-1', email: 'jane@example.com', display_name: 'Jane', tags: { plan: 'pro' } },
      organization: { id: 'org-1', display_name: 'Acme' },
      allowed_integrations: ['github'],
      integrations_config_defaults: { github: { connection_config: { oauth_scopes_override: 'repo' } } },
    });
    expect(data.token).to.match(TOKEN);
    expect(data.connect_link).to.equal(`${CONNECT_URL}/?session_token=${data.token}&apiURL=${encodeURIComponent(api.url)}`);
    expect(Date.parse(data.expires_at) - Date.now()).to.be.within(29 * 60 * 1000, 30 * 60 * 1000);

    expect(await connectSession(data.token)).to.deep.equal({
      endUser: { id: 'user-1', display_name: 'Jane', email: 'jane@example.com', tags: { plan: 'pro' }, organization: { id: 'org-1', display_name: 'Acme' } },
      connectUISettings: { theme: { light: { primary: '#00B2E3' }, dark: { primary: '#00B2E3' } }, defaultTheme: 'system', showWatermark: false, logoUrl: null },
      allowed_integrations: ['github'],
      integrations_config_defaults: { github: { connection_config: { oauth_scopes_override: 'repo' } } },
      websocketsPath: '/',
    });
  });

  it('createConnectSession with tags only (no end user) is accepted', async () => {
    const { data } = await nango.createConnectSession({ tags: { projectId: '42' } });
    expect(data.token).to.match(TOKEN);
    expect((await connectSession(data.token)).endUser).to.equal(null);
  });

  it('createConnectSession rejects an unknown integration with 400 invalid_body at its path', async () => {
    const failure = await failureOf(nango.createConnectSession({ end_user: { id: 'user-1' }, allowed_integrations: ['github', 'nope'] }));
    expect(failure?.response?.status).to.equal(400);
    expect(failure?.response?.data.error.code).to.equal('invalid_body');
    expect(failure?.response?.data.error.errors?.map((e) => e.path)).to.deep.equal([['allowed_integrations', 1]]);
  });

  it('createReconnectSession binds a session to an existing connection: only its integration, isReconnecting', async () => {
    // Importing through the API would wake the connection workflow (Temporal); the row is written directly instead.
    const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
    const integration = (await api.deps.integrations.find(environment.id, 'github'))!;
    await api.deps.connections.importConnection({
      environmentId: environment.id, integrationId: integration.id, connectionId: 'conn-42', expiresAt: null,
      credentials: { type: 'OAUTH2', access_token: 'gho_abc', raw: {} }, endUser: { id: 'user-42', email: 'bo@example.com' },
    });
    const { data } = await nango.createReconnectSession({ connection_id: 'conn-42', integration_id: 'github' });
    expect(data.token).to.match(TOKEN);
    expect(data.connect_link).to.equal(`${CONNECT_URL}/?session_token=${data.token}&apiURL=${encodeURIComponent(api.url)}`);
    const session = await connectSession(data.token);
    expect(session).to.deep.include({ allowed_integrations: ['github'], isReconnecting: true });
    expect(session.endUser).to.deep.equal({ id: 'user-42', display_name: null, email: 'bo@example.com', tags: null, organization: null });
  });

  it('createReconnectSession rejects an unknown connection with 400 invalid_body', async () => {
    const failure = await failureOf(nango.createReconnectSession({ connection_id: 'missing', integration_id: 'github' }));
    expect(failure?.response?.status).to.equal(400);
    expect(failure?.response?.data.error).to.deep.equal({
      code: 'invalid_body',
      message: 'Connection "missing" of integration "github" does not exist',
      errors: [{ code: 'invalid', message: 'Connection "missing" of integration "github" does not exist', path: ['connection_id'] }],
    });
  });

  it('a wrong secret key is rejected with 401 unknown_account', async () => {
    const stranger = new Nango({ host: api.url, secretKey: '0b9f8c4e-2a1d-4c3b-9e8f-7a6b5c4d3e2f' });
    const failure = await failureOf(stranger.createConnectSession({ end_user: { id: 'user-1' } }));
    expect(failure?.response?.status).to.equal(401);
    expect(failure?.response?.data.error.code).to.equal('unknown_account');
  });
});

import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { OAuth2Server } from 'oauth2-mock-server';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { http } from '../support/http';
import { registerSecrets } from '../support/secret-registry';
import { CookieJar } from '../support/cookie-jar';

/** One browser for the file's flows: the callback must come from the browser that started the attempt. */
const fetch = new CookieJar().fetch;

/** OAuth 2.0 against an authorization server nobody here wrote (the oauth2-mock-server package). */
describe('OAuth 2.0 against oauth2-mock-server (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  const server = new OAuth2Server();
  const issued: string[] = [];
  const grants: string[] = [];

  before(async () => {
    await server.issuer.keys.generate('RS256');
    await server.start(0, '127.0.0.1');
    server.service.on('beforeResponse', (response: { body: Record<string, unknown> }, req: { body?: { grant_type?: string } }) => {
      grants.push(req.body?.grant_type ?? '');
      for (const key of ['access_token', 'refresh_token', 'id_token']) if (typeof response.body[key] === 'string') issued.push(response.body[key] as string);
    });
    registerSecrets(() => issued);
    const url = server.issuer.url!;
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      extraProviders: () => ({
        'mock-oauth2': {
          display_name: 'oauth2-mock-server',
          categories: ['dev-tools'],
          docs: 'https://example.com/oauth2-mock-server',
          auth_mode: 'OAUTH2',
          authorization_url: `${url}/authorize`,
          token_url: `${url}/token`,
        },
      }),
    });
    const environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    await rig.api.deps.integrations.create(environment.id, {
      uniqueKey: 'mock',
      provider: 'mock-oauth2',
      displayName: null,
      clientId: 'custodian-test-client',
      clientSecret: 'custodian-test-secret',
      scopes: ['openid', 'profile'],
      forwardWebhooks: true,
    });
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
    await server.stop();
  });

  it('connects through its authorize and token endpoints, then refreshes through its refresh_token grant', async () => {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'mock-user' } } });
    const token = created.body.data.token as string;
    const start = await fetch(`${rig.api.url}/oauth/connect/mock?connect_session_token=${token}`, { redirect: 'manual' });
    expect(start.status).to.equal(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.searchParams.get('scope')).to.equal('openid profile');
    const atServer = await fetch(authorize, { redirect: 'manual' });
    expect(atServer.status).to.equal(302);
    const page = await fetch(atServer.headers.get('location')!);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('nango_oauth_callback_success');

    const listed = await http(rig.api.url, 'GET', '/connections?integrationId=mock', { token: rig.api.secretKey });
    const connectionId = listed.body.connections[0].connection_id as string;
    const got = await http(rig.api.url, 'GET', `/connections/${connectionId}?provider_config_key=mock&refresh_token=true`, { token: rig.api.secretKey });
    expect(got.status).to.equal(200);
    const { access_token: accessToken, refresh_token: refreshToken, expires_at: expiresAt } = got.body.credentials as Record<string, string | undefined>;
    expect(accessToken?.split('.'), 'a JWT from the mock server').to.have.length(3);
    expect(issued).to.include(accessToken);
    expect(refreshToken).to.be.a('string');
    expect(Date.parse(expiresAt ?? '') - Date.now()).to.be.within(3_000_000, 3_700_000);
    expect(grants).to.deep.equal(['authorization_code']);

    // JWTs minted within the same second are identical: let the clock move so the refreshed one differs.
    await new Promise((r) => setTimeout(r, 1_100));
    const refreshed = await http(rig.api.url, 'GET', `/connections/${connectionId}?provider_config_key=mock&force_refresh=true`, { token: rig.api.secretKey });
    expect(refreshed.status).to.equal(200);
    expect(refreshed.body.credentials.access_token).to.not.equal(accessToken);
    expect(issued).to.include(refreshed.body.credentials.access_token);
    expect(grants).to.deep.equal(['authorization_code', 'refresh_token']);
  });
});

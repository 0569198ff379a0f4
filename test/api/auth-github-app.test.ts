import { expect } from 'chai';
import { Nango } from '@nangohq/node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AuthAttemptEntity, ConnectionEntity } from '../../src/db/entities';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { CookieJar } from '../support/cookie-jar';
import { mountGithubApp, type FakeGithubApp } from '../support/fake-modes/github-app';
import { auditHistories } from '../support/history-audit';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';

/** The browser of the file's flows: the callback must come from the browser that started the attempt. */
const browser = new CookieJar();

describe('GitHub App connections through the API (APP, CUSTOM; dev server)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let github: FakeGithubApp;

  const api = (method: string, path: string, body?: unknown) => http(rig.api.url, method, path, { token: rig.api.secretKey, body });

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      // Forced renewals in a row must each reach GitHub here.
      configEnv: { REFRESH_FLOOR: '0s' },
      extraProviders: (provider) => {
        github = mountGithubApp(provider);
        return { 'fake-github-app': github.appEntry(), 'fake-github-app-oauth': github.customEntry() };
      },
    });
    github.knobs.setupUrl = `${rig.api.url}/app-auth/connect`;
    github.knobs.callbackUrl = `${rig.api.url}/oauth/callback`;
    const created = await api('POST', '/integrations', {
      provider: 'fake-github-app',
      unique_key: 'gh-app',
      credentials: { type: 'APP', app_id: github.appId, app_link: github.appLink, private_key: github.privateKey },
    });
    expect(created.status).to.equal(200);
    const custom = await api('POST', '/integrations', {
      provider: 'fake-github-app-oauth',
      unique_key: 'gh-app-oauth',
      credentials: { type: 'CUSTOM', client_id: github.knobs.clientId, client_secret: github.knobs.clientSecret, app_id: github.appId, app_link: github.appLink, private_key: github.privateKey },
    });
    expect(custom.status).to.equal(200);
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  beforeEach(() => {
    Object.assign(github.knobs, { requestUserAuthorization: false, setupAction: 'install', installationId: null, refuseJwt: false });
    github.forgeInstallationId = null;
  });

  async function sessionToken(integration: string): Promise<string> {
    const created = await api('POST', '/connect/sessions', { end_user: { id: 'user-1' }, allowed_integrations: [integration] });
    expect(created.status).to.equal(201);
    return created.body.data.token as string;
  }

  /** The installation flow as a browser runs it; returns the callback page and the attempt's state. */
  async function installThroughBrowser(integration: string): Promise<{ page: Response; html: string; state: string; callback: URL }> {
    const start = await browser.fetch(`${rig.api.url}/oauth/connect/${integration}?connect_session_token=${await sessionToken(integration)}`, { redirect: 'manual' });
    expect(start.status).to.equal(302);
    const installPage = new URL(start.headers.get('location')!);
    expect(installPage.origin + installPage.pathname).to.equal(`${github.appLink}/installations/new`);
    const state = installPage.searchParams.get('state')!;
    const back = await browser.fetch(installPage, { redirect: 'manual' });
    const callback = new URL(back.headers.get('location')!);
    const page = await browser.fetch(callback);
    return { page, html: await page.text(), state, callback };
  }

  async function connectionOf(state: string): Promise<ConnectionEntity | null> {
    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    return rig.api.deps.db.getRepository(ConnectionEntity).findOneBy({ connectionId: attempt.connectionId });
  }

  it('APP: connects through the installation page and /app-auth/connect; GET returns the installation token', async () => {
    const { page, html, state, callback } = await installThroughBrowser('gh-app');
    expect(callback.pathname).to.equal('/app-auth/connect');
    expect(page.status).to.equal(200);
    expect(html).to.include('nango_oauth_callback_success');
    const row = await connectionOf(state);
    const got = await api('GET', `/connections/${row!.connectionId}?provider_config_key=gh-app`);
    expect(got.status).to.equal(200);
    const installationId = callback.searchParams.get('installation_id');
    expect(got.body.connection_config).to.deep.equal({ appPublicLink: github.appLink, installation_id: installationId, app_id: github.appId });
    expect(got.body.credentials).to.include({ type: 'APP', installation_id: installationId });
    expect(github.isTokenValid(got.body.credentials.access_token)).to.equal(true);
    expect(Date.parse(got.body.credentials.expires_at) - Date.now()).to.be.within(55 * 60_000, 61 * 60_000);
    expect(github.tokenCalls(installationId!)).to.have.length(1);
  });

  it('APP: refresh_github_app_jwt_token=true mints a new token at once', async () => {
    const { state, callback } = await installThroughBrowser('gh-app');
    const row = await connectionOf(state);
    const installationId = callback.searchParams.get('installation_id')!;
    const first = await api('GET', `/connections/${row!.connectionId}?provider_config_key=gh-app`);
    const second = await api('GET', `/connections/${row!.connectionId}?provider_config_key=gh-app&refresh_github_app_jwt_token=true`);
    expect(second.status).to.equal(200);
    expect(second.body.credentials.access_token).to.not.equal(first.body.credentials.access_token);
    // (The JWT is new too, though within one second it is byte for byte the same: RS256 signatures are deterministic.)
    expect(github.isTokenValid(second.body.credentials.access_token)).to.equal(true);
    expect(github.tokenCalls(installationId)).to.have.length(2);
    const plain = await api('GET', `/connections/${row!.connectionId}?provider_config_key=gh-app`);
    expect(plain.body.credentials.access_token, 'a plain read serves the stored token').to.equal(second.body.credentials.access_token);
    expect(github.tokenCalls(installationId)).to.have.length(2);
  });

  it('APP: an installation GitHub refuses to mint for (wrong key) fails the callback and stores nothing', async () => {
    github.knobs.refuseJwt = true;
    const before = await rig.api.deps.db.getRepository(ConnectionEntity).count();
    const { page, html, state } = await installThroughBrowser('gh-app');
    expect(page.status).to.equal(400);
    expect(html).to.include('nango_oauth_callback_error').and.include('invalid_client');
    expect(await rig.api.deps.db.getRepository(ConnectionEntity).count()).to.equal(before);
    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(attempt).to.include({ status: 'failed', errorCode: 'invalid_client', credentialsEncrypted: null });
  });

  it('security: a /app-auth/connect callback from another browser is refused; the starting browser still connects', async () => {
    const starter = new CookieJar();
    const other = new CookieJar();
    const start = await starter.fetch(`${rig.api.url}/oauth/connect/gh-app?connect_session_token=${await sessionToken('gh-app')}`, { redirect: 'manual' });
    const cookies = start.headers.getSetCookie().filter((line) => line.startsWith('custodian_flow_'));
    expect(cookies.map((line) => /Path=([^;]+)/.exec(line)?.[1])).to.deep.equal(['/oauth', '/app-auth/connect']);
    const installPage = new URL(start.headers.get('location')!);
    const callback = (await other.fetch(installPage, { redirect: 'manual' })).headers.get('location')!;
    const refused = await other.fetch(callback);
    expect(refused.status).to.equal(400);
    expect(await refused.text()).to.include('callback_not_bound');
    const state = installPage.searchParams.get('state')!;
    expect(await connectionOf(state)).to.equal(null);
    const accepted = await starter.fetch(callback);
    expect(accepted.status).to.equal(200);
    expect((await connectionOf(state))?.connectionId).to.be.a('string');
  });

  it('APP: an installation awaiting an owner\'s approval fails with app_installation_missing', async () => {
    github.knobs.setupAction = 'request';
    const { page, html } = await installThroughBrowser('gh-app');
    expect(page.status).to.equal(400);
    expect(html).to.include('app_installation_missing');
  });

  it('APP: imports an installation through POST /connections, minting its first token; an unknown one stores nothing', async () => {
    const installationId = github.addInstallation();
    const imported = await api('POST', '/connections', { provider_config_key: 'gh-app', connection_id: 'imported-app', credentials: { type: 'APP', app_id: github.appId, installation_id: installationId } });
    expect(imported.status).to.equal(201);
    expect(github.isTokenValid(imported.body.credentials.access_token)).to.equal(true);
    expect(imported.body.connection_config).to.deep.equal({ installation_id: installationId, app_id: github.appId });
    const got = await api('GET', '/connections/imported-app?provider_config_key=gh-app');
    expect(got.body.credentials.access_token).to.equal(imported.body.credentials.access_token);

    const refused = await api('POST', '/connections', { provider_config_key: 'gh-app', connection_id: 'imported-unknown', credentials: { type: 'APP', app_id: github.appId, installation_id: '424242' } });
    expect(refused.status).to.equal(400);
    expect(refused.body.error.code).to.equal('connection_test_failed');
    expect((await api('GET', '/connections/imported-unknown?provider_config_key=gh-app')).status).to.equal(404);
  });

  it('APP: @nangohq/node getConnection returns the APP credentials shape', async () => {
    const installationId = github.addInstallation();
    await api('POST', '/connections', { provider_config_key: 'gh-app', connection_id: 'sdk-app', credentials: { type: 'APP', app_id: github.appId, installation_id: installationId } });
    const nango = new Nango({ secretKey: rig.api.secretKey, host: rig.api.url });
    const connection = await nango.getConnection('gh-app', 'sdk-app');
    const credentials = connection.credentials as unknown as Record<string, unknown>;
    expect(credentials).to.include({ type: 'APP' });
    expect(credentials).to.have.all.keys('type', 'access_token', 'expires_at', 'raw', 'jwtToken', 'installation_id');
    expect(github.isTokenValid(String(credentials.access_token))).to.equal(true);
    const refreshed = await nango.getConnection('gh-app', 'sdk-app', false, false, true);
    expect((refreshed.credentials as unknown as Record<string, unknown>).access_token).to.not.equal(credentials.access_token);
  });

  it('CUSTOM: connects through the installation page with user authorization, back at /oauth/callback', async () => {
    github.knobs.requestUserAuthorization = true;
    const { page, html, state, callback } = await installThroughBrowser('gh-app-oauth');
    expect(callback.pathname).to.equal('/oauth/callback');
    expect(page.status, html).to.equal(200);
    const row = await connectionOf(state);
    const got = await api('GET', `/connections/${row!.connectionId}?provider_config_key=gh-app-oauth&refresh_token=true`);
    expect(got.body.credentials.type).to.equal('CUSTOM');
    expect(github.isTokenValid(got.body.credentials.app.access_token)).to.equal(true);
    expect(github.isUserTokenValid(got.body.credentials.user.access_token)).to.equal(true);
    expect(got.body.credentials.user.refresh_token).to.match(/^ghr_/);
    const withoutRefreshToken = await api('GET', `/connections/${row!.connectionId}?provider_config_key=gh-app-oauth`);
    expect(withoutRefreshToken.body.credentials.user).to.not.have.property('refresh_token');
  });

  it('CUSTOM: a browser that claims another installation than the one it authorized for is refused, nothing stored', async () => {
    github.knobs.requestUserAuthorization = true;
    github.forgeInstallationId = github.addInstallation();
    const { page, html, state } = await installThroughBrowser('gh-app-oauth');
    expect(page.status).to.equal(400);
    expect(html).to.include('app_installation_not_accessible');
    expect(await connectionOf(state)).to.equal(null);
  });

  it('keeps the private key, the JWTs and every token out of every workflow history', async () => {
    const audit = await auditHistories(env.client);
    expect(audit.histories).to.be.greaterThan(0);
    expect(github.presentedJwts.length).to.be.greaterThan(0);
    expect(audit.hits).to.deep.equal([]);
  });
});

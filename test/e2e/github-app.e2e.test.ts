import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, screenshotter } from '../support/browser';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { mountGithubApp, type FakeGithubApp } from '../support/fake-modes/github-app';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';

describe('e2e: a GitHub App installed from connect_link in Chromium (dev server)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let github: FakeGithubApp;
  let browser: Browser;
  let context: BrowserContext | null = null;

  const api = (method: string, path: string, body?: unknown) => http(rig.api.url, method, path, { token: rig.api.secretKey, body });

  before(async function () {
    this.timeout(180_000);
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      extraProviders: (provider) => {
        github = mountGithubApp(provider);
        return { 'fake-github-app': github.appEntry(), 'fake-github-app-oauth': github.customEntry() };
      },
    });
    github.knobs.setupUrl = `${rig.api.url}/app-auth/connect`;
    github.knobs.callbackUrl = `${rig.api.url}/oauth/callback`;
    const app = { app_id: github.appId, app_link: github.appLink, private_key: github.privateKey };
    expect((await api('POST', '/integrations', { provider: 'fake-github-app', unique_key: 'gh-app', display_name: 'Acme GitHub', credentials: { type: 'APP', ...app } })).status).to.equal(200);
    const oauthClient = { client_id: github.knobs.clientId, client_secret: github.knobs.clientSecret };
    expect((await api('POST', '/integrations', { provider: 'fake-github-app-oauth', unique_key: 'gh-app-oauth', display_name: 'Acme GitHub (user)', credentials: { type: 'CUSTOM', ...oauthClient, ...app } })).status).to.equal(200);
    browser = await launchBrowser();
  });
  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await rig?.close();
    await env?.teardown();
  });
  afterEach(async () => {
    await context?.close();
    context = null;
  });

  /** Opens the session's connect_link (one allowed integration: straight to its form) and submits it; the popup installs the app. */
  async function installFromConnectLink(key: string, testName: string): Promise<{ page: Page; connectionId: string; visited: string[] }> {
    const shot = screenshotter(`github-app-${testName}`);
    context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const visited: string[] = [];
    context.on('request', (request) => visited.push(new URL(request.url()).pathname));
    const created = await api('POST', '/connect/sessions', { end_user: { id: 'e2e-user', email: 'e2e@example.com' }, allowed_integrations: [key] });
    expect(created.status).to.equal(201);
    await page.goto(created.body.data.connect_link as string);
    await page.locator(`[data-screen="form"][data-integration="${key}"]`).waitFor();
    expect(await page.locator('.guidance').textContent()).to.match(/^You will sign in to Acme GitHub.* in a new window/);
    await shot(page, 'form');
    const popupOpened = page.waitForEvent('popup');
    await page.click('form button[type="submit"]');
    const popup = await popupOpened;
    const success = page.locator('[data-screen="success"]');
    await success.waitFor({ timeout: 20_000 });
    await shot(page, 'success');
    const deadline = Date.now() + 5_000;
    while (!popup.isClosed() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(popup.isClosed(), 'the callback page closes the popup').to.equal(true);
    expect(errors).to.deep.equal([]);
    expect(await success.getAttribute('data-integration')).to.equal(key);
    return { page, connectionId: (await success.getAttribute('data-connection-id')) ?? '', visited };
  }

  it('APP: connect_link → form → popup through the installation page and /app-auth/connect → success; the token is stored', async () => {
    const { page, connectionId, visited } = await installFromConnectLink('gh-app', 'app');
    expect((await page.locator('[data-screen="success"] h1').textContent())?.trim()).to.equal('Acme GitHub connected');
    expect(visited).to.include.members([`/oauth/connect/gh-app`, '/apps/custodian-fake-app/installations/new', '/app-auth/connect']);
    const got = await api('GET', `/connections/${connectionId}?provider_config_key=gh-app`);
    expect(got.status).to.equal(200);
    expect(got.body.credentials.type).to.equal('APP');
    expect(github.isTokenValid(got.body.credentials.access_token)).to.equal(true);
  });

  it('CUSTOM: the installation with user authorization comes back through /oauth/callback → success; both tokens stored', async () => {
    github.knobs.requestUserAuthorization = true;
    try {
      const { connectionId, visited } = await installFromConnectLink('gh-app-oauth', 'custom');
      expect(visited).to.include.members(['/apps/custodian-fake-app/installations/new', '/oauth/callback']);
      const got = await api('GET', `/connections/${connectionId}?provider_config_key=gh-app-oauth`);
      expect(github.isTokenValid(got.body.credentials.app.access_token)).to.equal(true);
      expect(github.isUserTokenValid(got.body.credentials.user.access_token)).to.equal(true);
    } finally {
      github.knobs.requestUserAuthorization = false;
    }
  });
});

import { expect } from 'chai';
import { Nango as NangoNode } from '@nangohq/node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core';
import { ConnectionEntity, type EnvironmentEntity, type IntegrationEntity } from '../../src/db/entities';
import { launchBrowser, screenshotter } from '../support/browser';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { fakeApiKeyEntry, fakeBasicEntry, fakeOAuth1Entry, startFakeProvider, type FakeProvider } from '../support/fake-provider';
import { startFrontendHost, type FrontendHost } from '../support/frontend-host';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';

const API_KEY = 'sk-e2e-right-key-0123456789';
const BASIC_USER = { username: 'ann', password: 's3cret pass' };
/** A service account whose secret is a multi-line PEM private key (64-character lines, as PEM has them). */
// No "+": the fake provider form-decodes Basic credentials (as RFC 6749 client authentication has them), which turns "+" into a space.
const PEM_BODY = randomBytes(144).toString('base64').replaceAll('+', 'x');
const PEM_USER = {
  username: 'svc@acme.example',
  password: `-----BEGIN PRIVATE KEY-----\n${PEM_BODY.slice(0, 64)}\n${PEM_BODY.slice(64, 128)}\n${PEM_BODY.slice(128)}\n-----END PRIVATE KEY-----\n`,
};
/** What the page must never show as text: a raw error code or auth mode. */
const SNAKE_CASE = /[A-Za-z0-9]_[A-Za-z0-9]/;

type Shot = (page: Page, screen: string) => Promise<string>;

/** What a page under test recorded: the sequence of `data-screen` values it showed, and its uncaught errors. */
interface Watched {
  page: Page;
  shot: Shot;
  errors: string[];
  /** `<status> <path>` of every answer ≥ 400 the page (or its frames) got. */
  failed: string[];
}

/**
 * Each frame of every page keeps `__screens`: the distinct consecutive `data-screen` values it displayed. A string,
 * not a function: tsx's transpiled functions refer to helpers (`__name`) the page does not have.
 */
const RECORD_SCREENS = `
  window.__screens = [];
  new MutationObserver(function () {
    var el = document.querySelector('[data-screen]');
    var screen = el && el.getAttribute('data-screen');
    if (screen && window.__screens[window.__screens.length - 1] !== screen) window.__screens.push(screen);
  }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-screen'] });`;

describe('e2e: the Connect UI in Chromium (dev server)', function () {
  this.timeout(30_000);
  this.slow(1); // print every test's wall time
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let browser: Browser;
  let host: FrontendHost;
  let receiver: WebhookReceiver;
  /** A second provider, for API keys, that the tests stop and restart (on the same port). */
  let flaky: FakeProvider;
  let environment: EnvironmentEntity;
  const integrations: Record<string, IntegrationEntity> = {};
  let context: BrowserContext | null = null;

  before(async function () {
    this.timeout(180_000);
    env = await createDevServerEnv();
    flaky = await startFakeProvider({ apiKeys: [API_KEY] });
    rig = await startConnectionsRig(env, {
      knobs: { apiKeys: [API_KEY], basicUsers: [BASIC_USER, PEM_USER] },
      extraProviders: (provider) => ({
        'fake-oauth1': fakeOAuth1Entry(provider),
        'fake-apikey': fakeApiKeyEntry(provider),
        'fake-basic': fakeBasicEntry(provider),
        'fake-apikey-flaky': { ...fakeApiKeyEntry(flaky), display_name: 'Flaky API key' },
        // A form whose catalog entry has a multi-line private key, an email and a URL field (any form mode renders the same way).
        'fake-pem': {
          ...fakeBasicEntry(provider),
          display_name: 'Service account',
          connection_config: { serverUrl: { type: 'string', title: 'Server URL', description: 'The address of your server', format: 'uri' } },
          credentials: {
            username: { type: 'string', title: 'Client email', description: 'The service account email', format: 'email' },
            password: {
              type: 'string',
              title: 'Private key',
              description: 'The PEM private key of the service account',
              pattern: '^-----BEGIN PRIVATE KEY-----\\s*[A-Za-z0-9+/=\\s]+\\s*-----END PRIVATE KEY-----\\s*$',
              secret: true,
              multiline: true,
            },
          },
        },
        'fake-apikey-tenant': {
          ...fakeApiKeyEntry(provider),
          display_name: 'Tenant API key',
          connection_config: { tenant: { type: 'string', title: 'Tenant', description: 'Your tenant name', pattern: '^[a-z]+$', example: 'acme' } },
        },
      }),
    });
    environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    integrations.fake = rig.integration;
    const create = (uniqueKey: string, provider: string, displayName: string, oauth = false) =>
      rig.api.deps.integrations.create(environment.id, {
        uniqueKey,
        provider,
        displayName,
        clientId: oauth ? rig.provider.knobs.clientId : null,
        clientSecret: oauth ? rig.provider.knobs.clientSecret : null,
        scopes: [],
        forwardWebhooks: true,
      });
    integrations.oauth1 = await create('oauth1', 'fake-oauth1', 'Fake OAuth 1.0a', true);
    integrations.keys = await create('keys', 'fake-apikey', 'Fake API key');
    integrations.basic = await create('basic', 'fake-basic', 'Fake basic');
    integrations['keys-embedded'] = await create('keys-embedded', 'fake-apikey', 'Embedded keys');
    integrations['keys-keyboard'] = await create('keys-keyboard', 'fake-apikey', 'Keyboard keys');
    integrations['keys-flaky'] = await create('keys-flaky', 'fake-apikey-flaky', 'Flaky keys');
    integrations['keys-tenant'] = await create('keys-tenant', 'fake-apikey-tenant', 'Tenant keys');
    integrations['service-account'] = await create('service-account', 'fake-pem', 'Service account');
    receiver = await startWebhookReceiver();
    browser = await launchBrowser();
    host = await startFrontendHost(`
      document.getElementById('connect').addEventListener('click', () => {
        const nango = new Nango({ connectSessionToken: window.sessionToken });
        window.connectUI = nango.openConnectUI({ baseURL: window.apiUrl + '/connect', apiURL: window.apiUrl, onEvent: (event) => window.record(event) });
      });
      window.ready = true;`);
  });
  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await host?.close();
    await receiver?.close();
    await rig?.close();
    await flaky?.close();
    await env?.teardown();
  });
  beforeEach(() => receiver?.reset());
  afterEach(async () => {
    await context?.close();
    context = null;
  });

  async function openPage(testName: string): Promise<Watched> {
    context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    await context.addInitScript({ content: RECORD_SCREENS });
    const page = await context.newPage();
    const errors: string[] = [];
    const failed: string[] = [];
    page.on('response', (response) => {
      // The backend test page has no favicon; whether Chromium asks for it before the test ends varies.
      const path = new URL(response.url()).pathname;
      if (response.status() >= 400 && path !== '/favicon.ico') failed.push(`${response.status()} ${path}`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // Refused credentials are 400 answers the browser logs as failed loads; anything else (CSP, script errors) counts.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console: ${message.text()}`);
    });
    return { page, shot: screenshotter(`connect-ui-${testName}`), errors, failed };
  }

  async function session(body: Record<string, unknown> = {}): Promise<{ token: string; link: string }> {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'e2e-user', email: 'e2e@example.com' }, webhook_url_override: receiver.url, ...body } });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return { token: created.body.data.token as string, link: created.body.data.connect_link as string };
  }

  async function screens(page: Page): Promise<string[]> {
    return page.evaluate(() => (globalThis as unknown as { __screens: string[] }).__screens);
  }

  async function heading(page: Page | FrameLocator, screen: string): Promise<string> {
    return ((await page.locator(`[data-screen="${screen}"] h1`).textContent()) ?? '').trim();
  }

  async function liveRows(key: string): Promise<ConnectionEntity[]> {
    return rig.api.deps.db.getRepository(ConnectionEntity).findBy({ integrationId: integrations[key]!.id });
  }

  async function getConnection(connectionId: string, key: string) {
    const got = await http(rig.api.url, 'GET', `/connections/${encodeURIComponent(connectionId)}?provider_config_key=${key}`, { token: rig.api.secretKey });
    expect(got.status, JSON.stringify(got.body)).to.equal(200);
    return got.body as { connection_id: string; provider_config_key: string; credentials: Record<string, unknown> };
  }

  /** Waits for the webhook about `connectionId` with `operation`; checks its signature with the real @nangohq/node. */
  async function webhookFor(connectionId: string, operation: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 15_000;
    let found: ReceivedWebhook | undefined;
    while (!found) {
      found = receiver.received.find((r) => {
        const body = JSON.parse(r.rawBody) as Record<string, unknown>;
        return body.connectionId === connectionId && body.operation === operation;
      });
      if (found) break;
      if (Date.now() > deadline) throw new Error(`no ${operation} webhook for ${connectionId}; got ${receiver.received.map((r) => r.rawBody).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const nango = new NangoNode({ secretKey: rig.api.secretKey, host: rig.api.url });
    expect(nango.verifyIncomingWebhookRequest(found.rawBody, found.headers as Record<string, unknown>), 'webhook signature').to.equal(true);
    return JSON.parse(found.rawBody) as Record<string, unknown>;
  }

  /** Holds the browser's requests whose URL starts with `prefix` until `release()`, so a transient screen can be checked. */
  async function hold(prefix: string): Promise<{ release(): Promise<void>; url(): string }> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let seen = '';
    const matches = (url: URL) => url.href.startsWith(prefix);
    await context!.route(matches, async (route) => {
      seen = route.request().url();
      await held;
      await route.continue();
    });
    return {
      url: () => seen,
      release: async () => {
        release();
        await context!.unroute(matches);
      },
    };
  }

  /**
   * Submits the OAuth form: the popup opens in the click; its first request (`/oauth/connect/…`) is held until the
   * waiting screen has been checked and photographed, then the provider authorizes, the callback page posts to the
   * opener and closes itself, and the page shows success. Returns the connection id shown.
   */
  async function authorizeInPopup(w: Watched, key: string, name: string, submit: () => Promise<void>, ui: Page | FrameLocator = w.page): Promise<string> {
    const { page, shot } = w;
    const connect = await hold(`${rig.api.url}/oauth/connect/${key}?`);
    // Playwright reports the popup once its first navigation commits, i.e. after the held request is let through.
    const popupOpened = page.waitForEvent('popup');
    await submit();
    const wait = ui.locator('[data-screen="oauth-wait"]');
    await wait.waitFor();
    expect(await wait.getAttribute('data-state')).to.equal('waiting');
    expect(await heading(ui, 'oauth-wait')).to.equal(`Finish in the ${name} window`);
    await shot(page, 'oauth-wait');
    const opened = new URL(connect.url());
    expect([...opened.searchParams.keys()], 'the popup carries the session token and the WebSocket client id').to.deep.equal(['connect_session_token', 'ws_client_id']);
    await connect.release();
    const popup = await popupOpened;
    const success = ui.locator('[data-screen="success"]');
    await success.waitFor({ timeout: 20_000 });
    const deadline = Date.now() + 5_000;
    while (!popup.isClosed() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(popup.isClosed(), 'the callback page closes the popup').to.equal(true);
    expect(await success.getAttribute('data-integration')).to.equal(key);
    const connectionId = (await success.getAttribute('data-connection-id')) ?? '';
    expect(connectionId).to.not.equal('');
    return connectionId;
  }

  async function pickFromList(w: Watched, key: string): Promise<void> {
    const { page, shot } = w;
    await page.locator('[data-screen="list"]').waitFor();
    expect(await heading(page, 'list')).to.equal('Connect an integration');
    expect(await page.locator('[data-screen="list"] .muted').first().textContent()).to.equal('Connecting for e2e@example.com');
    const listed = await page.locator('[data-screen="list"] [data-integration]').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { integration: string } }).dataset.integration));
    expect(listed).to.have.members(Object.keys(integrations));
    await shot(page, 'list');
    await page.click(`[data-integration="${key}"]`);
  }

  it('OAuth 2.0: connect_link → list → Fake → popup authorizes at the provider → success; signed creation webhook; token stored', async () => {
    const w = await openPage('oauth2');
    const { page, shot } = w;
    const { link } = await session();
    const sessionCall = await hold(`${rig.api.url}/connect/session`);
    await page.goto(link);
    await page.locator('[data-screen="loading"][aria-busy="true"]').waitFor();
    expect(await heading(page, 'loading')).to.equal('Loading\u2026');
    await shot(page, 'loading');
    await sessionCall.release();
    const providerCall = await hold(`${rig.api.url}/providers/`);
    await pickFromList(w, 'fake');
    await page.locator('[data-screen="loading"]').waitFor();
    expect(await heading(page, 'loading')).to.equal('Loading Fake\u2026');
    await shot(page, 'loading-integration');
    await providerCall.release();
    await page.locator('[data-screen="form"][data-integration="fake"]').waitFor();
    expect(await heading(page, 'form')).to.equal('Connect Fake');
    expect(await page.locator('form').getAttribute('data-auth-mode')).to.equal('OAUTH2');
    expect(await page.locator('form').getAttribute('data-connect'), 'the server said: a redirect').to.equal('redirect');
    expect(await page.locator('.guidance').textContent()).to.equal('You will sign in to Fake in a new window and authorize access.');
    expect(await page.locator('form button[type="submit"]').textContent()).to.equal('Connect with Fake');
    await shot(page, 'form');
    const connectionId = await authorizeInPopup(w, 'fake', 'Fake', () => page.click('form button[type="submit"]'));
    expect(await heading(page, 'success')).to.equal('Fake connected');
    expect(await page.locator('[data-screen="success"] p').last().textContent()).to.equal('You can now close this page.');
    await shot(page, 'success');
    expect(await screens(page)).to.deep.equal(['loading', 'list', 'loading', 'form', 'oauth-wait', 'success']);

    const webhook = await webhookFor(connectionId, 'creation');
    expect(webhook).to.deep.include({ type: 'auth', operation: 'creation', success: true, providerConfigKey: 'fake', authMode: 'OAUTH2' });
    const got = await getConnection(connectionId, 'fake');
    expect(got.credentials.type).to.equal('OAUTH2');
    expect(rig.provider.isAccessTokenValid(got.credentials.access_token as string)).to.equal(true);
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members([]);
  });

  it('OAuth 1.0a: list → Fake OAuth 1.0a → popup through /oauth1/* → success; signed creation webhook; OAUTH1 credentials stored', async () => {
    const w = await openPage('oauth1');
    const { page, shot } = w;
    const { link } = await session();
    await page.goto(link);
    await pickFromList(w, 'oauth1');
    await page.locator('[data-screen="form"][data-integration="oauth1"]').waitFor();
    expect(await heading(page, 'form')).to.equal('Connect Fake OAuth 1.0a');
    expect(await page.locator('form').getAttribute('data-auth-mode')).to.equal('OAUTH1');
    await shot(page, 'form');
    const connectionId = await authorizeInPopup(w, 'oauth1', 'Fake OAuth 1.0a', () => page.click('form button[type="submit"]'));
    expect(await heading(page, 'success')).to.equal('Fake OAuth 1.0a connected');
    await shot(page, 'success');
    expect(rig.provider.calls.filter((c) => c.path.startsWith('/oauth1/')).map((c) => [c.path, c.status])).to.deep.equal([
      ['/oauth1/request_token', 200],
      ['/oauth1/authorize', 302],
      ['/oauth1/access_token', 200],
    ]);

    const webhook = await webhookFor(connectionId, 'creation');
    expect(webhook).to.deep.include({ operation: 'creation', success: true, providerConfigKey: 'oauth1', authMode: 'OAUTH1' });
    const got = await getConnection(connectionId, 'oauth1');
    const { oauth_token: token, oauth_token_secret: tokenSecret } = got.credentials as { oauth_token: string; oauth_token_secret: string };
    expect(got.credentials).to.deep.include({ type: 'OAUTH1', oauth_token: token, oauth_token_secret: tokenSecret });
    expect(rig.provider.knobs.oauth1Tokens).to.deep.include({ token, tokenSecret });
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members([]);
  });

  it('API key and basic: wrong credentials show the provider refusal in the form and store nothing; the right ones connect', async () => {
    const w = await openPage('api-key-basic');
    const { page, shot } = w;
    const { link } = await session();
    await page.goto(link);
    await pickFromList(w, 'keys');
    await page.locator('[data-screen="form"][data-integration="keys"]').waitFor();
    expect(await heading(page, 'form')).to.equal('Connect Fake API key');
    expect(await page.locator('input[name="apiKey"]').getAttribute('type')).to.equal('password');
    await shot(page, 'form');

    // Empty: checked in the page, nothing sent.
    await page.click('form button[type="submit"]');
    expect(await page.locator('.field-error:not([hidden])').allTextContents()).to.deep.equal(['API key is required.']);
    await shot(page, 'form-required');

    await page.fill('input[name="apiKey"]', 'sk-wrong-key-000');
    await page.click('form button[type="submit"]');
    const refusal = page.locator('[data-form-error] [data-error-code="connection_test_failed"]');
    await refusal.waitFor();
    expect(await refusal.textContent()).to.equal('Fake API key did not accept this API key. Check it and try again.');
    expect(await page.locator('[data-form-error] [data-action="retry"]').count(), 'no Try again: the key has to change').to.equal(0);
    expect(await page.locator('[data-screen="form"]').count()).to.equal(1);
    expect(await page.locator('form button[type="submit"]').isEnabled()).to.equal(true);
    await shot(page, 'form-refused');
    expect(await liveRows('keys'), 'nothing stored after a refused key').to.deep.equal([]);

    await page.fill('input[name="apiKey"]', API_KEY);
    await page.click('form button[type="submit"]');
    await page.locator('[data-screen="success"]').waitFor();
    expect(await heading(page, 'success')).to.equal('Fake API key connected');
    await shot(page, 'success');
    const keyConnection = (await page.locator('[data-screen="success"]').getAttribute('data-connection-id'))!;
    expect((await getConnection(keyConnection, 'keys')).credentials).to.deep.equal({ type: 'API_KEY', apiKey: API_KEY });
    expect(await liveRows('keys')).to.have.length(1);
    expect(await webhookFor(keyConnection, 'creation')).to.deep.include({ success: true, providerConfigKey: 'keys', authMode: 'API_KEY' });

    // Basic, with a session limited to it: the form comes straight away.
    const basic = await session({ allowed_integrations: ['basic'] });
    await page.goto(basic.link);
    await page.locator('[data-screen="form"][data-integration="basic"]').waitFor();
    expect(await heading(page, 'form')).to.equal('Connect Fake basic');
    expect(await page.locator('[data-action="back"]').count(), 'no list to go back to').to.equal(0);
    expect(await page.locator('form input').evaluateAll((els) => els.map((e) => `${(e as unknown as { name: string }).name}:${(e as unknown as { type: string }).type}`))).to.deep.equal([
      'username:text',
      'password:password',
    ]);
    await shot(page, 'basic-form');
    await page.fill('input[name="username"]', BASIC_USER.username);
    await page.fill('input[name="password"]', 'wrong password');
    await page.click('form button[type="submit"]');
    const basicRefusal = page.locator('[data-form-error] [data-error-code="connection_test_failed"]');
    await basicRefusal.waitFor();
    expect(await basicRefusal.textContent()).to.equal('Fake basic did not accept this username and password. Check them and try again.');
    await shot(page, 'basic-form-refused');
    expect(await liveRows('basic'), 'nothing stored after refused credentials').to.deep.equal([]);
    await page.fill('input[name="password"]', BASIC_USER.password);
    await page.click('form button[type="submit"]');
    await page.locator('[data-screen="success"]').waitFor();
    expect(await heading(page, 'success')).to.equal('Fake basic connected');
    await shot(page, 'basic-success');
    const basicConnection = (await page.locator('[data-screen="success"]').getAttribute('data-connection-id'))!;
    expect((await getConnection(basicConnection, 'basic')).credentials).to.deep.equal({ type: 'BASIC', ...BASIC_USER });
    expect(await liveRows('basic')).to.have.length(1);
    expect(await screens(page)).to.deep.equal(['loading', 'form', 'success']);
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members(['400 /api-auth/api-key/keys', '400 /api-auth/basic/basic']);
  });

  it('form with a private key: a masked multi-line text area, email and URL inputs; the PEM is sent with its line breaks and stored as typed', async () => {
    const w = await openPage('private-key');
    const { page, shot } = w;
    const { link } = await session({ allowed_integrations: ['service-account'] });
    await page.goto(link);
    await page.locator('[data-screen="form"][data-integration="service-account"]').waitFor();
    expect(await heading(page, 'form')).to.equal('Connect Service account');
    expect(await page.locator('form').getAttribute('data-connect')).to.equal('form');
    expect(await page.locator('.guidance').textContent()).to.equal('Enter the client email and private key for Service account.');
    const controls = await page.locator('form :is(input, textarea)').evaluateAll((els) =>
      els.map((e) => {
        const el = e as unknown as { tagName: string; name: string; type: string; autocomplete: string };
        return `${el.tagName.toLowerCase()} ${el.name} ${el.type} ${el.autocomplete}`;
      }),
    );
    expect(controls).to.deep.equal(['input serverUrl url off', 'input username email off', 'textarea password textarea off']);
    const key = page.locator('textarea[name="password"]');
    const masking = await key.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(el)['webkitTextSecurity']);
    expect(masking, 'the key is not echoed').to.equal('disc');
    expect(await key.getAttribute('spellcheck')).to.equal('false');
    expect(await page.locator('[data-field="password"] label').textContent()).to.equal('Private key');
    await shot(page, 'form');

    // Checked in the page: a URL, an email address, a PEM block.
    await page.fill('input[name="serverUrl"]', 'not a url');
    await page.fill('input[name="username"]', 'svc');
    await key.fill('just one line');
    await page.click('form button[type="submit"]');
    expect(await page.locator('.field-error:not([hidden])').allTextContents()).to.deep.equal([
      'Server URL must be a URL.',
      'Client email must be an email address.',
      'Private key does not have the expected format.',
    ]);
    await shot(page, 'form-invalid');

    // A key the provider refuses: the refusal names the fields.
    await page.fill('input[name="serverUrl"]', 'https://server.acme.example/base');
    await page.fill('input[name="username"]', PEM_USER.username);
    await key.fill(PEM_USER.password.replace(PEM_BODY.slice(0, 8), 'AAAAAAAA'));
    await page.click('form button[type="submit"]');
    const refusal = page.locator('[data-form-error] [data-error-code="connection_test_failed"]');
    await refusal.waitFor();
    expect(await refusal.textContent()).to.equal('Service account did not accept this client email and private key. Check them and try again.');
    await shot(page, 'form-refused');
    expect(await liveRows('service-account'), 'nothing stored after a refused key').to.deep.equal([]);

    await key.fill(PEM_USER.password);
    const sent = page.waitForRequest((request) => request.url().startsWith(`${rig.api.url}/api-auth/basic/service-account?`));
    await page.click('form button[type="submit"]');
    const request = await sent;
    expect([...new URL(request.url()).searchParams.keys()]).to.deep.equal(['connect_session_token', 'params[serverUrl]']);
    expect(request.postDataJSON(), 'the body is the credentials, line breaks included').to.deep.equal(PEM_USER);
    await page.locator('[data-screen="success"]').waitFor();
    expect(await heading(page, 'success')).to.equal('Service account connected');
    await shot(page, 'success');
    const connectionId = (await page.locator('[data-screen="success"]').getAttribute('data-connection-id'))!;
    const got = await http(rig.api.url, 'GET', `/connections/${encodeURIComponent(connectionId)}?provider_config_key=service-account`, { token: rig.api.secretKey });
    expect(got.body.credentials).to.deep.equal({ type: 'BASIC', ...PEM_USER });
    expect(got.body.connection_config).to.deep.include({ serverUrl: 'https://server.acme.example/base' });
    expect(await screens(page)).to.deep.equal(['loading', 'form', 'success']);
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members(['400 /api-auth/basic/service-account']);
  });

  it('security: a field the session pins is shown read-only with the pinned value, is not sent, and the connection keeps the pin', async () => {
    const w = await openPage('pinned-field');
    const { page, shot } = w;
    const { link } = await session({ allowed_integrations: ['keys-tenant'], integrations_config_defaults: { 'keys-tenant': { connection_config: { tenant: 'acme' } } } });
    await page.goto(link);
    await page.locator('[data-screen="form"][data-integration="keys-tenant"]').waitFor();
    const tenant = page.locator('input[name="tenant"]');
    expect(await tenant.inputValue()).to.equal('acme');
    expect(await tenant.getAttribute('readonly'), 'read-only').to.not.equal(null);
    expect(await tenant.getAttribute('aria-readonly')).to.equal('true');
    expect(await tenant.isEditable(), 'the end user cannot change it').to.equal(false);
    expect(await page.locator('[data-field="tenant"]').getAttribute('data-pinned')).to.equal('true');
    expect(await page.locator('[data-field="tenant"] label').textContent()).to.equal('Tenant (set for you)');
    // Typing into it changes nothing either.
    await tenant.click();
    await page.keyboard.type('evil');
    expect(await tenant.inputValue()).to.equal('acme');
    await shot(page, 'pinned-form');

    await page.fill('input[name="apiKey"]', API_KEY);
    const sent = page.waitForRequest((request) => request.url().startsWith(`${rig.api.url}/api-auth/api-key/keys-tenant?`));
    await page.click('form button[type="submit"]');
    const url = new URL((await sent).url());
    expect([...url.searchParams.keys()], 'the pinned value is not sent: the server applies the pin').to.deep.equal(['connect_session_token']);
    await page.locator('[data-screen="success"]').waitFor();
    const connectionId = (await page.locator('[data-screen="success"]').getAttribute('data-connection-id'))!;
    const got = await http(rig.api.url, 'GET', `/connections/${encodeURIComponent(connectionId)}?provider_config_key=keys-tenant`, { token: rig.api.secretKey });
    expect(got.body.connection_config).to.deep.include({ tenant: 'acme' });
    expect(w.errors).to.deep.equal([]);
    expect(w.failed).to.deep.equal([]);
  });

  it('reconnect: the reconnect link goes straight to the integration; authorizing keeps the connection id and sends the override webhook', async () => {
    const w = await openPage('reconnect');
    const { page, shot } = w;
    const first = await session({ allowed_integrations: ['fake'] });
    await page.goto(first.link);
    await page.locator('[data-screen="form"][data-integration="fake"]').waitFor();
    await shot(page, 'form');
    const connectionId = await authorizeInPopup(w, 'fake', 'Fake', () => page.click('form button[type="submit"]'));
    await shot(page, 'success');
    await webhookFor(connectionId, 'creation');
    const before = await getConnection(connectionId, 'fake');

    const reconnect = await http(rig.api.url, 'POST', '/connect/sessions/reconnect', {
      token: rig.api.secretKey,
      body: { connection_id: connectionId, integration_id: 'fake', end_user: { id: 'e2e-user', email: 'e2e@example.com' } },
    });
    expect(reconnect.status, JSON.stringify(reconnect.body)).to.equal(201);
    await page.goto(reconnect.body.data.connect_link as string);
    await page.locator('[data-screen="form"][data-integration="fake"]').waitFor();
    expect(await heading(page, 'form')).to.equal('Reconnect Fake');
    expect(await page.locator('[data-action="back"]').count()).to.equal(0);
    await shot(page, 'reconnect-form');
    const again = await authorizeInPopup(w, 'fake', 'Fake', () => page.click('form button[type="submit"]'));
    expect(again).to.equal(connectionId);
    expect(await heading(page, 'success')).to.equal('Fake reconnected');
    await shot(page, 'reconnect-success');
    expect(await screens(page)).to.deep.equal(['loading', 'form', 'oauth-wait', 'success']);

    const webhook = await webhookFor(connectionId, 'override');
    expect(webhook).to.deep.include({ operation: 'override', success: true, providerConfigKey: 'fake' });
    const after = await getConnection(connectionId, 'fake');
    expect(after.credentials.access_token).to.not.equal(before.credentials.access_token);
    expect(rig.provider.isAccessTokenValid(after.credentials.access_token as string)).to.equal(true);
    const rows = await rig.api.deps.db.getRepository(ConnectionEntity).findBy({ connectionId });
    expect(rows).to.have.length(1);
    expect(rows[0]!.credentialsVersion).to.equal(2);
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members([]);
  });

  it('embedded: the real @nangohq/frontend openConnectUI iframe completes an API key connection and reports it to the page', async () => {
    const w = await openPage('embedded');
    const { page, shot } = w;
    const { token } = await session({ allowed_integrations: ['keys-embedded'] });
    await page.goto(host.url);
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    await page.evaluate(([apiUrl, sessionToken]) => Object.assign(globalThis, { apiUrl, sessionToken }), [rig.api.url, token]);
    await shot(page, 'backend-page');
    const sessionCall = await hold(`${rig.api.url}/connect/session`);
    await page.click('#connect');
    const frame = page.frameLocator('#connect-ui');
    await frame.locator('[data-screen="loading"]').waitFor();
    await page.waitForFunction(() => (globalThis as unknown as { events: Array<{ type: string }> }).events.some((e) => e.type === 'ready'));
    await shot(page, 'iframe-loading');
    await sessionCall.release();
    await frame.locator('[data-screen="form"][data-integration="keys-embedded"]').waitFor();
    expect((await frame.locator('[data-screen="form"] h1').textContent())?.trim()).to.equal('Connect Embedded keys');
    expect(await frame.locator('[data-action="close"]').count(), 'embedded screens have a close button').to.equal(1);
    await shot(page, 'iframe-form');
    await frame.locator('input[name="apiKey"]').fill('sk-wrong-key-000');
    await frame.locator('form button[type="submit"]').click();
    await frame.locator('[data-form-error] [data-error-code="connection_test_failed"]').waitFor();
    await shot(page, 'iframe-form-refused');
    await frame.locator('input[name="apiKey"]').fill(API_KEY);
    await frame.locator('form button[type="submit"]').click();
    await frame.locator('[data-screen="success"]').waitFor();
    expect((await frame.locator('[data-screen="success"] h1').textContent())?.trim()).to.equal('Embedded keys connected');
    expect(await frame.locator('[data-screen="success"] p').last().textContent()).to.equal('You can now close this window.');
    await shot(page, 'iframe-success');

    await page.waitForFunction(() => (globalThis as unknown as { events: Array<{ type: string }> }).events.some((e) => e.type === 'connect'));
    const events = await page.evaluate(() => (globalThis as unknown as { events: Array<{ type: string; payload?: Record<string, unknown> }> }).events);
    expect(events.map((e) => e.type)).to.deep.equal(['ready', 'connect']);
    const connect = events[1]!.payload as { providerConfigKey: string; connectionId: string; isPending: boolean };
    expect(connect).to.include({ providerConfigKey: 'keys-embedded', isPending: false });
    expect((await getConnection(connect.connectionId, 'keys-embedded')).credentials).to.deep.equal({ type: 'API_KEY', apiKey: API_KEY });

    // Done closes the UI: the page gets `close` and the iframe is removed.
    await frame.locator('[data-action="done"]').click();
    await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): unknown } }).document.getElementById('connect-ui') === null);
    const after = await page.evaluate(() => (globalThis as unknown as { events: Array<{ type: string }> }).events.map((e) => e.type));
    expect(after).to.deep.equal(['ready', 'connect', 'close']);
    await shot(page, 'backend-page-after-close');
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members(['400 /api-auth/api-key/keys-embedded']);
  });

  it('embedded OAuth 2.0: the iframe opens the popup, the outcome reaches the iframe and the page gets `connect`', async () => {
    const w = await openPage('embedded-oauth2');
    const { page, shot } = w;
    const { token } = await session({ allowed_integrations: ['fake'] });
    await page.goto(host.url);
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    await page.evaluate(([apiUrl, sessionToken]) => Object.assign(globalThis, { apiUrl, sessionToken }), [rig.api.url, token]);
    await page.click('#connect');
    const frame = page.frameLocator('#connect-ui');
    await frame.locator('[data-screen="form"][data-integration="fake"]').waitFor();
    await shot(page, 'iframe-form');
    const connectionId = await authorizeInPopup(w, 'fake', 'Fake', () => frame.locator('form button[type="submit"]').click(), frame);
    expect(await heading(frame, 'success')).to.equal('Fake connected');
    await shot(page, 'iframe-success');
    await page.waitForFunction(() => (globalThis as unknown as { events: Array<{ type: string }> }).events.some((e) => e.type === 'connect'));
    const events = await page.evaluate(() => (globalThis as unknown as { events: Array<{ type: string; payload?: Record<string, unknown> }> }).events);
    expect(events.map((e) => e.type)).to.deep.equal(['ready', 'connect']);
    expect(events[1]!.payload).to.deep.equal({ providerConfigKey: 'fake', connectionId, isPending: false });
    expect(await webhookFor(connectionId, 'creation')).to.deep.include({ success: true, providerConfigKey: 'fake' });
    const got = await getConnection(connectionId, 'fake');
    expect(rig.provider.isAccessTokenValid(got.credentials.access_token as string)).to.equal(true);

    // Escape closes the embedded UI.
    await frame.locator('[data-screen="success"] h1').press('Escape');
    await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): unknown } }).document.getElementById('connect-ui') === null);
    expect(await page.evaluate(() => (globalThis as unknown as { events: Array<{ type: string }> }).events.map((e) => e.type))).to.deep.equal(['ready', 'connect', 'close']);
    await shot(page, 'backend-page-after-close');
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members([]);
  });

  it('keyboard only: Tab/Enter from the list to an API key form, type the key, Enter → success', async () => {
    const w = await openPage('keyboard');
    const { page, shot } = w;
    const { link } = await session();
    await page.goto(link);
    await page.locator('[data-screen="list"]').waitFor();
    const focused = () =>
      page.evaluate(() => {
        const active = (globalThis as unknown as { document: { activeElement: { tagName: string; id: string; name?: string; dataset: Record<string, string> } | null } }).document.activeElement;
        return { tag: active?.tagName ?? '', id: active?.id ?? '', name: active?.name ?? '', integration: active?.dataset.integration ?? '' };
      });
    expect(await focused(), 'focus starts on the heading').to.include({ tag: 'H1', id: 'heading-list' });
    await shot(page, 'list');
    const tabUntil = async (match: (f: Awaited<ReturnType<typeof focused>>) => boolean, what: string) => {
      for (let i = 0; i < 20; i += 1) {
        await page.keyboard.press('Tab');
        if (match(await focused())) return;
      }
      throw new Error(`Tab never reached ${what}; focus is on ${JSON.stringify(await focused())}`);
    };
    await tabUntil((f) => f.integration === 'keys-keyboard', 'the Keyboard keys item');
    await shot(page, 'list-focused');
    await page.keyboard.press('Enter');
    await page.locator('[data-screen="form"][data-integration="keys-keyboard"]').waitFor();
    expect(await focused(), 'focus moves to the form heading').to.include({ tag: 'H1', id: 'heading-form' });
    await tabUntil((f) => f.name === 'apiKey', 'the API key input');
    await page.keyboard.type(API_KEY);
    await shot(page, 'form-typed');
    await page.keyboard.press('Enter');
    await page.locator('[data-screen="success"]').waitFor();
    expect(await heading(page, 'success')).to.equal('Keyboard keys connected');
    expect(await focused(), 'focus moves to the success heading').to.include({ tag: 'H1', id: 'heading-success' });
    await shot(page, 'success');
    const connectionId = (await page.locator('[data-screen="success"]').getAttribute('data-connection-id'))!;
    expect((await getConnection(connectionId, 'keys-keyboard')).credentials).to.deep.equal({ type: 'API_KEY', apiKey: API_KEY });
    expect(await screens(page)).to.deep.equal(['loading', 'list', 'loading', 'form', 'success']);
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members([]);
  });
  /** The tag, id and `data-action` of the element that has focus. */
  async function focusedElement(page: Page): Promise<{ tag: string; id: string; action: string }> {
    return page.evaluate(() => {
      const active = (globalThis as unknown as { document: { activeElement: { tagName: string; id: string; dataset: Record<string, string> } | null } }).document.activeElement;
      return { tag: active?.tagName ?? '', id: active?.id ?? '', action: active?.dataset.action ?? '' };
    });
  }

  it('API key, provider down: the form says "We could not reach Flaky keys. Try again in a moment." with Try again; once the provider is back, Try again connects', async function () {
    // Until the verification gives up on the stopped provider (retries included).
    this.timeout(150_000);
    const w = await openPage('provider-unreachable');
    const { page, shot } = w;
    const { link } = await session({ allowed_integrations: ['keys-flaky'] });
    await page.goto(link);
    await page.locator('[data-screen="form"][data-integration="keys-flaky"]').waitFor();
    await page.fill('input[name="apiKey"]', API_KEY);
    await shot(page, 'form');
    await flaky.close();
    const alert = page.locator('[data-form-error] [data-error-code]');
    const retry = page.locator('[data-form-error] [data-action="retry"]');
    try {
      await page.click('form button[type="submit"]');
      await alert.waitFor({ timeout: 90_000 });
      await shot(page, 'form-unreachable');
      expect(await alert.locator('p').first().textContent()).to.equal('We could not reach Flaky keys. Try again in a moment.');
      expect(await alert.getAttribute('data-error-code'), 'the code stays in data-error-code').to.equal('provider_unreachable');
      expect(await alert.textContent()).to.not.match(SNAKE_CASE);
      expect(await retry.textContent()).to.equal('Try again');
      expect(await focusedElement(page), 'focus moves to Try again').to.include({ tag: 'BUTTON', action: 'retry' });
      expect(await page.locator('input[name="apiKey"]').inputValue(), 'what was typed is kept').to.equal(API_KEY);
      expect(await liveRows('keys-flaky'), 'nothing stored').to.deep.equal([]);
    } finally {
      await flaky.reopen();
    }
    await retry.click();
    await page.locator('[data-screen="success"]').waitFor({ timeout: 60_000 });
    expect(await heading(page, 'success')).to.equal('Flaky keys connected');
    await shot(page, 'success');
    const connectionId = (await page.locator('[data-screen="success"]').getAttribute('data-connection-id'))!;
    expect((await getConnection(connectionId, 'keys-flaky')).credentials).to.deep.equal({ type: 'API_KEY', apiKey: API_KEY });
    expect(flaky.calls.filter((c) => c.path === '/verify').map((c) => c.status), 'the provider heard only the retry').to.deep.equal([200]);
    expect(await screens(page)).to.deep.equal(['loading', 'form', 'success']);
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members(['502 /api-auth/api-key/keys-flaky']);
  });

  it('OAuth 2.0, access declined at the provider: the error screen says "You declined access to Fake…" with Try again, which reopens the popup and connects', async () => {
    const w = await openPage('oauth-declined');
    const { page, shot } = w;
    const { link } = await session({ allowed_integrations: ['fake'] });
    await page.goto(link);
    await page.locator('[data-screen="form"][data-integration="fake"]').waitFor();
    rig.provider.knobs.authorizeError = 'access_denied';
    try {
      const popupOpened = page.waitForEvent('popup');
      await page.click('form button[type="submit"]');
      const popup = await popupOpened;
      const error = page.locator('[data-screen="error"]');
      await error.waitFor({ timeout: 20_000 });
      await shot(page, 'error-declined');
      expect(await error.getAttribute('data-error-type'), 'the code stays in data-error-type').to.equal('authorization_denied');
      expect(await heading(page, 'error')).to.equal('Access declined');
      expect(await error.locator('[role="alert"]').textContent()).to.equal('You declined access to Fake. To connect, try again and allow access.');
      expect(await error.textContent()).to.not.match(SNAKE_CASE);
      expect(await error.locator('[data-action="retry"]').textContent()).to.equal('Try again');
      expect(await error.locator('[data-action="back"]').count(), 'Back returns to the form').to.equal(1);
      const deadline = Date.now() + 5_000;
      while (!popup.isClosed() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(popup.isClosed(), 'the callback page closed the popup').to.equal(true);
    } finally {
      rig.provider.knobs.authorizeError = null;
    }
    const connectionId = await authorizeInPopup(w, 'fake', 'Fake', () => page.click('[data-screen="error"] [data-action="retry"]'));
    expect(await heading(page, 'success')).to.equal('Fake connected');
    await shot(page, 'success');
    expect(rig.provider.isAccessTokenValid((await getConnection(connectionId, 'fake')).credentials.access_token as string)).to.equal(true);
    expect(await screens(page)).to.deep.equal(['loading', 'form', 'oauth-wait', 'error', 'oauth-wait', 'success']);
    expect(w.errors).to.deep.equal([]);
    expect(w.failed, 'failed loads').to.have.members([]);
  });

  it('embedded, unknown session token: "This connection link has expired…" with neither Try again nor Back; the page gets errorType unknown_connect_session_token', async () => {
    const w = await openPage('expired-link');
    const { page, shot } = w;
    await page.goto(host.url);
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    await page.evaluate(([apiUrl, sessionToken]) => Object.assign(globalThis, { apiUrl, sessionToken }), [rig.api.url, `nango_connect_session_${'0'.repeat(64)}`]);
    await page.click('#connect');
    const frame = page.frameLocator('#connect-ui');
    const error = frame.locator('[data-screen="error"]');
    await error.waitFor();
    await shot(page, 'iframe-error-expired');
    expect(await error.getAttribute('data-error-type')).to.equal('unknown_connect_session_token');
    expect(await heading(frame, 'error')).to.equal('This link has expired');
    const sentence = 'This connection link has expired or is not valid. Go back to the app and start again.';
    expect(await error.locator('[role="alert"]').textContent()).to.equal(sentence);
    expect(await error.textContent()).to.not.match(SNAKE_CASE);
    expect(await error.locator('[data-action="retry"]').count(), 'retrying cannot help').to.equal(0);
    expect(await error.locator('[data-action="back"]').count()).to.equal(0);
    expect(await error.locator('[data-action="close"]').count(), 'the close button remains').to.equal(1);
    await page.waitForFunction(() => (globalThis as unknown as { events: Array<{ type: string }> }).events.some((e) => e.type === 'error'));
    const events = await page.evaluate(() => (globalThis as unknown as { events: Array<{ type: string; payload?: Record<string, unknown> }> }).events);
    expect(events).to.deep.equal([{ type: 'ready' }, { type: 'error', payload: { errorType: 'unknown_connect_session_token', errorMessage: sentence } }]);
    expect(w.errors).to.deep.equal([]);
    // Both first requests are refused; the page may stop listening once the first refusal arrives.
    expect(w.failed, 'failed loads').to.include('401 /connect/session');
    expect(w.failed.filter((f) => f !== '401 /connect/session' && f !== '401 /integrations'), 'no other failed load').to.deep.equal([]);
  });
});

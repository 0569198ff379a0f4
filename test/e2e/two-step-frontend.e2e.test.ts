import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { mountTwoStep, type TwoStepFake } from '../support/fake-modes/two-step';
import { startFrontendHost, type FrontendHost } from '../support/frontend-host';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';

const API_KEY = 'fake-two-step-api-key-e2e-55';

describe('e2e: the real @nangohq/frontend auth() with TWO_STEP credentials, from a backend page in Chromium (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let fake: TwoStepFake;
  let browser: Browser;
  let host: FrontendHost;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      extraProviders: (provider) => ({
        'fake-two-step': {
          display_name: 'Fake two-step',
          auth_mode: 'TWO_STEP',
          token_url: `${provider.url}/two-step/login`,
          body_format: 'json',
          token_params: { username: '${credentials.username}', password: '${credentials.password}' },
          token_headers: { 'x-api-key': '${credentials.apiKey}' },
          token_response: { token: 'data.session.token', token_expiration: 'data.session.expires_in', token_expiration_strategy: 'expireIn' },
        },
      }),
    });
    fake = mountTwoStep(rig.provider, { apiKey: API_KEY });
    const environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'two', provider: 'fake-two-step', displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: false });
    browser = await launchBrowser();
    host = await startFrontendHost(`
      window.connect = (credentials) => {
        const nango = new Nango({ host: window.apiUrl, connectSessionToken: window.sessionToken });
        return nango.auth('two', { credentials }).then((result) => window.record({ ok: result }), (error) => window.record({ error: { type: error.type, message: error.message } }));
      };
      window.ready = true;`);
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await rig?.close();
    await env?.teardown();
  });

  it('a refused password rejects auth() with the error and stores nothing; the right one resolves with the connection id', async () => {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'frontend-two-step' } } });
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(host.url);
    await tab.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    await tab.evaluate(([apiUrl, token]) => Object.assign(globalThis, { apiUrl, sessionToken: token }), [rig.api.url, created.body.data.token as string]);
    type Connect = (credentials: Record<string, string>) => Promise<void>;
    const events = () => tab.evaluate(() => (globalThis as unknown as { events: Array<{ ok?: { connectionId: string; providerConfigKey: string }; error?: { type: string; message: string } }> }).events);

    await tab.evaluate((apiKey) => (globalThis as unknown as { connect: Connect }).connect({ type: 'TWO_STEP', username: 'api-user', password: 'wrong-password', apiKey }), API_KEY);
    const refused = (await events())[0]!.error!;
    expect(refused.type).to.equal('connection_test_failed');
    expect(refused.message).to.be.a('string').and.not.include('wrong-password');
    const list = await http(rig.api.url, 'GET', '/connections?integrationId=two', { token: rig.api.secretKey });
    expect(list.body.connections).to.deep.equal([]);

    await tab.evaluate(([apiKey, password]) => (globalThis as unknown as { connect: Connect }).connect({ type: 'TWO_STEP', username: 'api-user', password: password!, apiKey: apiKey! }), [API_KEY, fake.knobs.users['api-user']]);
    const resolved = (await events())[1]!.ok!;
    expect(resolved.providerConfigKey).to.equal('two');
    const got = await http(rig.api.url, 'GET', `/connections/${resolved.connectionId}?provider_config_key=two`, { token: rig.api.secretKey });
    expect(got.status).to.equal(200);
    expect(got.body.credentials).to.include({ type: 'TWO_STEP', username: 'api-user' });
    expect(fake.isValid(got.body.credentials.token)).to.equal(true);
    await context.close();
  });
});

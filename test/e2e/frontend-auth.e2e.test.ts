import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshotter } from '../support/browser';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { startFrontendHost, type FrontendHost } from '../support/frontend-host';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';

describe('e2e: the real @nangohq/frontend auth() — popup and WebSocket — in Chromium (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let browser: Browser;
  let host: FrontendHost;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env);
    browser = await launchBrowser();
    host = await startFrontendHost(`
      document.getElementById('connect').addEventListener('click', () => {
        const nango = new Nango({ host: window.apiUrl, connectSessionToken: window.sessionToken });
        nango.auth('fake').then((result) => window.record({ ok: result }), (error) => window.record({ error: { type: error.type, message: error.message } }));
      });
      window.ready = true;`);
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await rig?.close();
    await env?.teardown();
  });

  it('resolves with the connection id after the user authorizes in the popup', async () => {
    const shot = screenshotter('frontend-auth');
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'frontend-user' } } });
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(host.url);
    await tab.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    await tab.evaluate(([apiUrl, token]) => Object.assign(globalThis, { apiUrl, sessionToken: token }), [rig.api.url, created.body.data.token as string]);
    await shot(tab, 'backend-page');
    const [popup] = await Promise.all([tab.waitForEvent('popup'), tab.click('#connect')]);
    await popup.waitForEvent('close', { timeout: 30_000 });
    await tab.waitForFunction(() => (globalThis as unknown as { events: unknown[] }).events.length > 0, undefined, { timeout: 15_000 });
    await shot(tab, 'resolved');
    const events = await tab.evaluate(() => (globalThis as unknown as { events: Array<{ ok?: { providerConfigKey: string; connectionId: string; isPending: boolean } }> }).events);
    expect(events).to.have.length(1);
    expect(events[0]!.ok).to.include({ providerConfigKey: 'fake', isPending: false });
    const got = await http(rig.api.url, 'GET', `/connections/${events[0]!.ok!.connectionId}?provider_config_key=fake`, { token: rig.api.secretKey });
    expect(got.status).to.equal(200);
    expect(rig.provider.isAccessTokenValid(got.body.credentials.access_token)).to.equal(true);
    await context.close();
  });
});

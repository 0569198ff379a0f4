import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshotter } from '../support/browser';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';

/** A backend's page (another origin) that opens the OAuth popup and records what the callback page posts back. */
function opener(): Promise<{ url: string; server: Server }> {
  const html = `<!doctype html><html><body>
<button id="connect">Connect</button><pre id="out"></pre>
<script>
  window.received = [];
  window.addEventListener('message', (e) => { window.received.push(e.data); document.getElementById('out').textContent = JSON.stringify(window.received); });
  document.getElementById('connect').addEventListener('click', () => { window.open(window.connectUrl, 'oauth', 'width=500,height=600'); });
</script></body></html>`;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server })));
}

describe('e2e: the OAuth popup in Chromium (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let browser: Browser;
  let page: { url: string; server: Server };

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env);
    browser = await launchBrowser();
    page = await opener();
  });
  after(async () => {
    await browser?.close();
    page?.server.close();
    await rig?.close();
    await env?.teardown();
  });

  it('authorizes at the provider in a popup; the callback page posts success to the opener and closes', async () => {
    const shot = screenshotter('oauth-popup');
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'browser-user' } } });
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(page.url);
    await tab.evaluate((url) => ((globalThis as unknown as { connectUrl: string }).connectUrl = url), `${rig.api.url}/oauth/connect/fake?connect_session_token=${created.body.data.token}`);
    await shot(tab, 'backend-page');
    const [popup] = await Promise.all([tab.waitForEvent('popup'), tab.click('#connect')]);
    await popup.waitForEvent('close', { timeout: 30_000 });
    await tab.waitForFunction(() => (globalThis as unknown as { received: unknown[] }).received.length > 0, undefined, { timeout: 10_000 });
    await shot(tab, 'after-callback');
    const received = await tab.evaluate(() => (globalThis as unknown as { received: Array<{ type: string; payload: { providerConfigKey: string; connectionId: string } }> }).received);
    expect(received).to.have.length(1);
    expect(received[0]!.type).to.equal('nango_oauth_callback_success');
    expect(received[0]!.payload.providerConfigKey).to.equal('fake');
    const got = await http(rig.api.url, 'GET', `/connections/${received[0]!.payload.connectionId}?provider_config_key=fake`, { token: rig.api.secretKey });
    expect(got.status).to.equal(200);
    expect(rig.provider.isAccessTokenValid(got.body.credentials.access_token)).to.equal(true);
    await context.close();
  });
});

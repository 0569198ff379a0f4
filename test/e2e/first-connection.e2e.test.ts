import { expect } from 'chai';
import { Nango } from '@nangohq/node';
import type { Browser } from 'playwright-core';
import { connectionBody, connectionLogsBody } from '../../src/api/schemas/responses';
import { launchBrowser, screenshotter } from '../support/browser';
import { http } from '../support/http';
import { bannerConnectLink, devEnv, killDev, startDev, type DevEnv, type DevRun } from '../support/npm-run-dev';

/** The demo provider's URL, as the banner prints it. */
function bannerDemoProviderUrl(output: string): string | undefined {
  return /Demo: +provider "custodian-demo" at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
}

describe('e2e: a first connection from the npm run dev banner (Chromium, demo provider)', function () {
  this.timeout(240_000);
  let dev: DevEnv;
  let run: DevRun | undefined;
  let browser: Browser | undefined;

  before(async () => {
    // No floor between the code exchange and the forced refresh below.
    dev = await devEnv({ REFRESH_FLOOR: '0s' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGTERM');
      await Promise.race([run.exited, new Promise((r) => setTimeout(r, 20_000))]);
    }
    killDev(run);
    dev?.cleanUp();
  });

  it('opens the banner link, authorizes at the demo provider, sees success; GET /connections (@nangohq/node) lists the connection, whose token the demo /me accepts; a refresh rotates it and shows in the connection\'s logs', async () => {
    const shot = screenshotter('first-connection');
    run = startDev(dev.vars);
    const secretKey = await run.ready;
    const link = bannerConnectLink(run.output());
    const demoUrl = bannerDemoProviderUrl(run.output());
    expect(link, run.output()).to.be.a('string');
    expect(demoUrl, run.output()).to.be.a('string');

    const page = await browser!.newPage();
    await page.goto(link!);
    // One allowed integration: the Connect UI goes straight to its form.
    await page.locator('[data-screen="form"][data-integration="demo"]').waitFor({ timeout: 20_000 });
    await shot(page, 'form');
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('form button[type="submit"]')]);
    await popup.getByRole('button', { name: 'Authorize' }).waitFor({ timeout: 20_000 });
    expect(new URL(popup.url()).origin).to.equal(demoUrl);
    expect(await popup.locator('h1').textContent()).to.equal('Authorize the Custodian demo app?');
    await shot(popup, 'demo-authorize');
    await popup.getByRole('button', { name: 'Authorize' }).click();
    const success = page.locator('[data-screen="success"]');
    await success.waitFor({ timeout: 30_000 });
    await shot(page, 'success');
    expect(await success.getAttribute('data-integration')).to.equal('demo');
    const connectionId = (await success.getAttribute('data-connection-id')) ?? '';
    expect(connectionId).to.not.equal('');

    const nango = new Nango({ secretKey, host: dev.apiUrl });
    const listed = await nango.listConnections();
    expect(listed.connections.map((c) => ({ id: c.connection_id, integration: c.provider_config_key, provider: c.provider }))).to.deep.equal([
      { id: connectionId, integration: 'demo', provider: 'custodian-demo' },
    ]);
    const token = await nango.getToken('demo', connectionId);
    const me = await fetch(`${demoUrl}/me`, { headers: { authorization: `Bearer ${String(token)}` } });
    expect(me.status).to.equal(200);
    expect(await me.json()).to.deep.include({ id: 'demo-user-1', name: 'Ada Demo' });

    // A refresh through the connection workflow, at the demo's token endpoint (what happens every few minutes by itself).
    const forced = await http(dev.apiUrl, 'GET', `/connections/${connectionId}?provider_config_key=demo&force_refresh=true`, { token: secretKey });
    expect(forced.status).to.equal(200);
    const refreshed = connectionBody.parse(forced.body);
    expect(refreshed.credentials.access_token).to.be.a('string').and.not.equal(token);
    expect(Date.parse(refreshed.credentials_expires_at!) - Date.now()).to.be.within(60_000, 5 * 60_000);
    expect((await fetch(`${demoUrl}/me`, { headers: { authorization: `Bearer ${String(refreshed.credentials.access_token)}` } })).status).to.equal(200);
    const logs = connectionLogsBody.parse((await http(dev.apiUrl, 'GET', `/connections/${connectionId}/logs?provider_config_key=demo`, { token: secretKey })).body);
    expect(logs.data.map((l) => `${l.type}: ${l.message}`)).to.include('refresh: credentials refreshed');
  });
});

import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshotter } from '../support/browser';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { fakeMcpGenericEntry, mountMcp, type McpFake } from '../support/fake-modes/mcp';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';

describe('e2e: an MCP server connected from the Connect UI in Chromium (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let browser: Browser;
  let mcp: McpFake;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, { extraProviders: () => ({ 'fake-mcp-generic': { ...fakeMcpGenericEntry(), display_name: 'Fake MCP server' } }) });
    const environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'mcp-any', provider: 'fake-mcp-generic', displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
    mcp = mountMcp(rig.provider);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await rig?.close();
    await env?.teardown();
  });

  it('connect_link → the form asks for the MCP server URL → the popup authorizes at its discovered server → success; the token works at the MCP server', async () => {
    const shot = screenshotter('mcp-oauth');
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'mcp-e2e-user' }, allowed_integrations: ['mcp-any'] } });
    expect(created.status).to.equal(201);
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const errors: string[] = [];
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(created.body.data.connect_link as string);

    const form = page.locator('[data-screen="form"][data-integration="mcp-any"]');
    await form.waitFor();
    expect(await page.locator('form').getAttribute('data-auth-mode')).to.equal('MCP_OAUTH2_GENERIC');
    expect(await page.locator('form button[type="submit"]').textContent()).to.equal('Connect with Fake MCP server');
    await page.getByLabel('MCP server URL').fill(mcp.serverUrl);
    await shot(page, 'form');

    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('form button[type="submit"]')]);
    const success = page.locator('[data-screen="success"]');
    await success.waitFor({ timeout: 30_000 });
    const deadline = Date.now() + 5_000;
    while (!popup.isClosed() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(popup.isClosed(), 'the callback page closes the popup').to.equal(true);
    await shot(page, 'success');
    expect(((await page.locator('[data-screen="success"] h1').textContent()) ?? '').trim()).to.equal('Fake MCP server connected');

    const connectionId = (await success.getAttribute('data-connection-id')) ?? '';
    const got = await http(rig.api.url, 'GET', `/connections/${encodeURIComponent(connectionId)}?provider_config_key=mcp-any`, { token: rig.api.secretKey });
    expect(got.status).to.equal(200);
    // Shown as OAUTH2, as Nango's API shows MCP credentials.
    expect(got.body.credentials.type).to.equal('OAUTH2');
    expect(mcp.isAccessTokenValid(got.body.credentials.access_token)).to.equal(true);
    expect(mcp.authorizeRequests[0]).to.include({ resource: mcp.resource, code_challenge_method: 'S256' });
    expect(mcp.registrations).to.have.length(1);
    expect(errors).to.deep.equal([]);
    await context.close();
  });
});

import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { loadCatalog } from '../../providers/load-catalog';
import { launchBrowser } from '../support/browser';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { mountFakeJwt } from '../support/fake-modes/jwt';
import { mountFakeWsse } from '../support/fake-modes/signature';
import { startFrontendHost, type FrontendHost } from '../support/frontend-host';
import { http } from '../support/http';
import { registerSecrets } from '../support/secret-registry';
import { createDevServerEnv } from '../support/temporal-env';

type Outcome = { ok?: { providerConfigKey: string; connectionId: string; isPending?: boolean }; error?: { type: string; message: string } };

describe('e2e: the real @nangohq/frontend auth() with JWT and SIGNATURE credentials, in Chromium (dev server)', function () {
  this.timeout(120_000);
  const catalog = loadCatalog();
  const ghostId = randomBytes(12).toString('hex');
  const ghostSecret = randomBytes(32).toString('hex');
  const wsseSecret = randomBytes(16).toString('hex');
  registerSecrets(() => [ghostSecret, wsseSecret]);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let browser: Browser;
  let host: FrontendHost;
  let tab: Page;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      extraProviders: (provider) => ({
        'fake-ghost': { ...structuredClone(catalog.get('ghost-admin')), proxy: { base_url: provider.url, headers: { authorization: 'Ghost ${accessToken}' }, verification: { method: 'GET', endpoints: ['/jwt/verify'] } } },
        'fake-emarsys': { ...structuredClone(catalog.get('emarsys')), proxy: { base_url: provider.url, headers: { 'x-wsse': '${accessToken}' }, verification: { method: 'GET', endpoints: ['/wsse/verify'] } } },
      }),
    });
    mountFakeJwt(rig.provider, { scheme: 'Ghost', algorithm: 'HS256', key: Buffer.from(ghostSecret, 'hex'), kid: ghostId, claims: { aud: '/admin/' }, maxLifetimeSeconds: 300 });
    mountFakeWsse(rig.provider, { users: { acme001: wsseSecret }, lifetimeMs: 300_000 });
    const environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    for (const [uniqueKey, provider] of [['ghost', 'fake-ghost'], ['emarsys', 'fake-emarsys']] as const) {
      await rig.api.deps.integrations.create(environment.id, { uniqueKey, provider, displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
    }
    browser = await launchBrowser();
    host = await startFrontendHost(`
      window.run = (key, options) => {
        const nango = new Nango({ host: window.apiUrl, connectSessionToken: window.sessionToken });
        return nango.auth(key, options).then((result) => window.record({ ok: result }), (error) => window.record({ error: { type: error.type, message: error.message } }));
      };
      window.ready = true;`);
    tab = await (await browser.newContext()).newPage();
    await tab.goto(host.url);
    await tab.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await rig?.close();
    await env?.teardown();
  });

  /** Calls auth() in the page with a fresh session; what it resolved or rejected with. */
  async function auth(key: string, options: Record<string, unknown>): Promise<Outcome> {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'frontend-user' } } });
    await tab.evaluate(([apiUrl, token]) => Object.assign(globalThis, { apiUrl, sessionToken: token, events: [] }), [rig.api.url, created.body.data.token as string]);
    await tab.evaluate(([k, o]) => (globalThis as unknown as { run: (k: string, o: unknown) => Promise<void> }).run(k as string, o), [key, options] as const);
    const events = await tab.evaluate(() => (globalThis as unknown as { events: Outcome[] }).events);
    expect(events).to.have.length(1);
    return events[0]!;
  }

  it('JWT: auth() with { type: "JWT", privateKey } resolves with the connection; a wrong key rejects with connection_test_failed', async () => {
    const params = { adminDomain: 'acme.ghost.io', version: 'v5.0' };
    const refused = await auth('ghost', { credentials: { type: 'JWT', privateKey: `${ghostId}:${randomBytes(32).toString('hex')}` }, params });
    expect(refused.error?.type).to.equal('connection_test_failed');

    const accepted = await auth('ghost', { credentials: { type: 'JWT', privateKey: `${ghostId}:${ghostSecret}` }, params });
    expect(accepted.ok).to.include({ providerConfigKey: 'ghost' });
    const got = await http(rig.api.url, 'GET', `/connections/${accepted.ok!.connectionId}?provider_config_key=ghost`, { token: rig.api.secretKey });
    expect(got.body.credentials).to.deep.include({ type: 'JWT', privateKey: { id: ghostId, secret: ghostSecret } });
    expect(got.body.connection_config).to.deep.equal(params);
    expect((await fetch(`${rig.provider.url}/jwt/verify`, { headers: { authorization: `Ghost ${String(got.body.credentials.token)}` } })).status).to.equal(200);
  });

  it('SIGNATURE: auth() with { type: "SIGNATURE", username, password } posts to /auth/signature/ and connects', async () => {
    const accepted = await auth('emarsys', { credentials: { type: 'SIGNATURE', username: 'acme001', password: wsseSecret } });
    expect(accepted.ok).to.include({ providerConfigKey: 'emarsys' });
    const got = await http(rig.api.url, 'GET', `/connections/${accepted.ok!.connectionId}?provider_config_key=emarsys`, { token: rig.api.secretKey });
    expect(got.body.credentials).to.include({ type: 'SIGNATURE', username: 'acme001' });
    expect(rig.provider.calls.some((call) => call.path === '/wsse/verify' && call.status === 200)).to.equal(true);
  });
});

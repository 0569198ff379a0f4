import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import type { FakeProvider } from '../support/fake-provider';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';
import { CookieJar } from '../support/cookie-jar';

/** One browser for the file's flows: the callback must come from the browser that started the attempt. */
const fetch = new CookieJar().fetch;

/**
 * Entries as a user writes them in PROVIDERS_FILE: only what each auth mode needs (no docs, categories
 * or logos), most without a display_name. They point at the fake provider on 127.0.0.1.
 */
function minimalEntries(provider: FakeProvider): Record<string, Record<string, unknown>> {
  const { url } = provider;
  return {
    'my-oauth2': { display_name: 'My OAuth 2', auth_mode: 'OAUTH2', authorization_url: `${url}/authorize`, token_url: `${url}/token` },
    'my-cc': { auth_mode: 'OAUTH2_CC', token_url: `${url}/token` },
    'my-oauth1': { auth_mode: 'OAUTH1', request_url: `${url}/oauth1/request_token`, authorization_url: `${url}/oauth1/authorize`, token_url: `${url}/oauth1/access_token` },
    'my-apikey': { auth_mode: 'API_KEY' },
    'my-basic': { auth_mode: 'BASIC' },
    'my-none': { auth_mode: 'NONE' },
  };
}

const MODES: Record<string, string> = { 'my-oauth2': 'OAUTH2', 'my-cc': 'OAUTH2_CC', 'my-oauth1': 'OAUTH1', 'my-apikey': 'API_KEY', 'my-basic': 'BASIC', 'my-none': 'NONE' };

describe('minimal PROVIDERS_FILE entries, one per auth mode, through the API (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, { extraProviders: minimalEntries });
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  const call = (method: string, path: string, body?: unknown) => http(rig.api.url, method, path, { token: rig.api.secretKey, body });

  it('GET /providers lists every one of them with its auth mode; display_name defaults to the name; no docs appear', async () => {
    const listed = await call('GET', '/providers?search=my-');
    expect(listed.status).to.equal(200);
    const mine = (listed.body.data as { name: string; auth_mode: string; display_name: string }[]).filter((p) => p.name in MODES);
    expect(Object.fromEntries(mine.map((p) => [p.name, p.auth_mode]))).to.deep.equal(MODES);
    const one = await call('GET', '/providers/my-basic');
    expect(one.status).to.equal(200);
    expect(one.body.data).to.deep.equal({
      display_name: 'my-basic',
      auth_mode: 'BASIC',
      name: 'my-basic',
      logo_url: `${rig.api.url}/logos/my-basic.svg`,
      // How the Connect UI connects it (ours): the mode's form, its fields titled by the mode when the entry has none.
      connect: {
        kind: 'form',
        route: '/api-auth/basic/{key}',
        credentials: { username: { type: 'string', title: 'Username' }, password: { type: 'string', title: 'Password', secret: true } },
        sections: {},
      },
    });
    expect((await fetch(`${rig.api.url}/logos/my-basic.svg`)).status).to.equal(200);
  });

  it('POST /integrations creates an integration on each of them', async () => {
    for (const [provider, mode] of Object.entries(MODES)) {
      const oauth = mode === 'OAUTH2' || mode === 'OAUTH1';
      const body = { provider, unique_key: `int-${provider}`, ...(oauth ? { credentials: { type: mode, client_id: rig.provider.knobs.clientId, client_secret: rig.provider.knobs.clientSecret } } : {}) };
      const created = await call('POST', '/integrations', body);
      expect(created.status, provider).to.equal(200);
      expect(created.body.data, provider).to.include({ unique_key: `int-${provider}`, provider, auth_mode: mode });
    }
  });

  it('builds the OAUTH2 authorization redirect for the minimal entry', async () => {
    const session = await call('POST', '/connect/sessions', { end_user: { id: 'u-minimal' } });
    expect(session.status).to.equal(201);
    const start = await fetch(`${rig.api.url}/oauth/connect/int-my-oauth2?connect_session_token=${session.body.data.token}`, { redirect: 'manual' });
    expect(start.status).to.equal(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).to.equal(`${rig.provider.url}/authorize`);
    expect(authorize.searchParams.get('client_id')).to.equal(rig.provider.knobs.clientId);
    expect(authorize.searchParams.get('redirect_uri')).to.equal(`${rig.api.url}/oauth/callback`);
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
  });

  it('connects the minimal NONE entry end to end', async () => {
    const session = await call('POST', '/connect/sessions', { end_user: { id: 'u-minimal-none' } });
    const connected = await http(rig.api.url, 'POST', '/auth/unauthenticated/int-my-none', { token: session.body.data.token, body: {} });
    expect(connected.status).to.equal(200);
    expect(connected.body.providerConfigKey).to.equal('int-my-none');
    const got = await call('GET', `/connections/${connected.body.connectionId}?provider_config_key=int-my-none`);
    expect(got.status).to.equal(200);
    expect(got.body).to.include({ provider: 'my-none' });
  });
});

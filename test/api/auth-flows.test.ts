import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { fakeApiKeyEntry, fakeProviderEntry } from '../support/fake-provider';
import { http } from '../support/http';
import { startWebhookReceiver } from '../support/webhook-receiver';
import { AuthAttemptEntity, ConnectionEntity, type EnvironmentEntity } from '../../src/db/entities';
import { CookieJar } from '../support/cookie-jar';

/** One browser for the file's flows: the callback must come from the browser that started the attempt. */
const fetch = new CookieJar().fetch;
import { ENCRYPTED } from '../../src/crypto/encrypted-columns';

const API_KEY = 'sk-fake-1234567890';

describe('authorization flows through a connect session (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let environment: EnvironmentEntity;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      knobs: { apiKeys: [API_KEY] },
      extraProviders: (provider) => ({
        'fake-apikey': fakeApiKeyEntry(provider),
        'fake-cc': { display_name: 'Fake client credentials', categories: ['dev-tools'], docs: 'https://example.com/fake-cc', auth_mode: 'OAUTH2_CC', token_url: `${provider.url}/token` },
        'fake-realm': fakeProviderEntry(provider, { display_name: 'Fake realm', redirect_uri_metadata: ['realmId'], connection_config: { realmId: { type: 'string', title: 'Realm', pattern: '^[0-9a-z]+$' } } }),
        'fake-public': { display_name: 'Fake public API', categories: ['dev-tools'], docs: 'https://example.com/fake-public', auth_mode: 'NONE' },
      }),
    });
    environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'keys', provider: 'fake-apikey', displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
    await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'cc', provider: 'fake-cc', displayName: null, clientId: null, clientSecret: null, scopes: ['read'], forwardWebhooks: true });
    await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'public', provider: 'fake-public', displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  async function session(body: Record<string, unknown> = {}): Promise<string> {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'u-1', email: 'u1@example.com' }, ...body } });
    expect(created.status).to.equal(201);
    return created.body.data.token as string;
  }

  /** Runs the OAuth redirect flow as a browser would; returns the finished attempt. */
  async function completeOAuth(token: string): Promise<AuthAttemptEntity> {
    const start = await fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=${token}`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location')!);
    const callback = (await fetch(authorize, { redirect: 'manual' })).headers.get('location')!;
    expect((await fetch(callback)).status).to.equal(200);
    return rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: authorize.searchParams.get('state')! });
  }

  async function liveConnections(): Promise<ConnectionEntity[]> {
    return rig.api.deps.db.getRepository(ConnectionEntity).find({ where: { environmentId: environment.id } });
  }

  it('OAuth 2.0: redirects to the provider with PKCE and state, takes the callback once, stores the connection', async () => {
    const token = await session();
    const start = await fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=${token}`, { redirect: 'manual' });
    expect(start.status).to.equal(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).to.equal(`${rig.provider.url}/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorize.searchParams.get('redirect_uri')).to.equal(`${rig.api.url}/oauth/callback`);
    const state = authorize.searchParams.get('state')!;

    const atProvider = await fetch(authorize, { redirect: 'manual' });
    const callback = atProvider.headers.get('location')!;
    expect(callback.startsWith(`${rig.api.url}/oauth/callback?`)).to.equal(true);
    const page = await fetch(callback);
    const html = await page.text();
    expect(page.status).to.equal(200);
    expect(html).to.include('nango_oauth_callback_success');

    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(attempt).to.include({ status: 'succeeded', operation: 'creation', callbackParamsEncrypted: null, secretsEncrypted: null, pkceVerifierEncrypted: null, credentialsEncrypted: null });
    const got = await http(rig.api.url, 'GET', `/connections/${attempt.connectionId}?provider_config_key=fake`, { token: rig.api.secretKey });
    expect(got.status).to.equal(200);
    expect(rig.provider.isAccessTokenValid(got.body.credentials.access_token)).to.equal(true);
    expect(got.body.end_user).to.deep.include({ id: 'u-1' });

    const logs = await http(rig.api.url, 'GET', `/connections/${attempt.connectionId}/logs?provider_config_key=fake`, { token: rig.api.secretKey });
    const steps = (logs.body.data as Array<{ type: string; message: string }>).filter((l) => l.type === 'authorization').map((l) => l.message).reverse();
    expect(steps).to.deep.equal(['authorization started (OAUTH2)', 'redirected to the provider', 'callback received; exchanging the code', 'credentials obtained', 'connection created']);
    expect(JSON.stringify(logs.body)).to.not.match(/fake-at-|fake-rt-|fake-code-/);

    // Replayed with the binding cookie re-sent by hand (the browser itself dropped it): the one-shot lookup refuses it.
    const binding = start.headers.getSetCookie().find((line) => line.startsWith('custodian_flow_'))!.split(';')[0]!;
    const replay = await globalThis.fetch(callback, { headers: { cookie: binding } });
    expect(replay.status, 'a replayed callback changes nothing').to.equal(400);
    expect(await replay.text()).to.include('nango_oauth_callback_error').and.include('invalid_state');
    expect(rig.provider.tokenCalls('authorization_code')).to.have.length(1);
  });

  it('security: a callback from another cookie jar is refused and stores nothing; the starting browser still connects', async () => {
    const starter = new CookieJar();
    const other = new CookieJar();
    const before = (await liveConnections()).length;
    const exchanges = rig.provider.tokenCalls('authorization_code').length;
    const start = await starter.fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=${await session()}`, { redirect: 'manual' });
    expect(start.status).to.equal(302);
    const bindingCookie = start.headers.getSetCookie().find((line) => line.startsWith('custodian_flow_'));
    expect(bindingCookie).to.match(/; Path=\/oauth; Max-Age=(899|900); HttpOnly; SameSite=Lax$/);
    const authorize = new URL(start.headers.get('location')!);
    const state = authorize.searchParams.get('state')!;
    expect(bindingCookie).to.not.include(state, 'the cookie holds a hash of the state, not the state');
    // The authorize URL leaked: the victim consents in their own browser, which never started this attempt.
    const callback = (await other.fetch(authorize, { redirect: 'manual' })).headers.get('location')!;

    const refused = await other.fetch(callback);
    expect(refused.status).to.equal(400);
    const html = await refused.text();
    expect(html).to.include('nango_oauth_callback_error').and.include('callback_not_bound');
    const pending = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(pending).to.include({ status: 'pending', callbackParamsEncrypted: null, credentialsEncrypted: null, connectionRowId: null });
    expect(rig.provider.tokenCalls('authorization_code')).to.have.length(exchanges, 'no code exchange');
    expect((await liveConnections()).length).to.equal(before);

    const page = await starter.fetch(callback);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('nango_oauth_callback_success');
    expect(starter.names().filter((name) => name.startsWith('custodian_flow_')), 'the binding is cleared once taken').to.deep.equal([]);
    expect((await liveConnections()).length).to.equal(before + 1);
  });

  it('security: several attempts started in one browser each finish with their own binding', async () => {
    const browser = new CookieJar();
    const starts = [];
    for (let i = 0; i < 3; i++) starts.push(await browser.fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=${await session()}`, { redirect: 'manual' }));
    expect(browser.names().filter((name) => name.startsWith('custodian_flow_'))).to.have.length(3);
    // Finished in the reverse order: each callback finds its own cookie among the others.
    for (const start of starts.reverse()) {
      const authorize = new URL(start.headers.get('location')!);
      const callback = (await browser.fetch(authorize, { redirect: 'manual' })).headers.get('location')!;
      expect((await browser.fetch(callback)).status).to.equal(200);
      const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: authorize.searchParams.get('state')! });
      expect(attempt.status).to.equal('succeeded');
    }
  });

  it('OAuth 2.0: a callback with an unknown state gets the error page and changes nothing', async () => {
    const before = (await liveConnections()).length;
    const page = await fetch(`${rig.api.url}/oauth/callback?state=00000000-0000-4000-8000-000000000000&code=x`);
    expect(page.status).to.equal(400);
    expect(await page.text()).to.include('nango_oauth_callback_error');
    expect((await liveConnections()).length).to.equal(before);
  });

  it('API key: a key the provider refuses stores nothing; the right key connects', async () => {
    const token = await session();
    const before = (await liveConnections()).length;
    const wrong = await http(rig.api.url, 'POST', `/api-auth/api-key/keys?connect_session_token=${token}`, { body: { apiKey: 'sk-wrong-key-000' } });
    expect(wrong.status).to.equal(400);
    expect(wrong.body.error.code).to.equal('connection_test_failed');
    expect((await liveConnections()).length).to.equal(before);

    const right = await http(rig.api.url, 'POST', `/api-auth/api-key/keys?connect_session_token=${token}`, { body: { apiKey: API_KEY } });
    expect(right.status).to.equal(200);
    expect(right.body).to.have.keys(['connectionId', 'providerConfigKey']);
    expect(right.body.providerConfigKey).to.equal('keys');
    const got = await http(rig.api.url, 'GET', `/connections/${right.body.connectionId}?provider_config_key=keys`, { token: rig.api.secretKey });
    expect(got.body.credentials).to.deep.equal({ type: 'API_KEY', apiKey: API_KEY });
  });

  it('client credentials: a wrong secret stores nothing; the right pair mints a token that the connection keeps fresh', async () => {
    const token = await session();
    const before = (await liveConnections()).length;
    const wrong = await http(rig.api.url, 'POST', `/oauth2/auth/cc?connect_session_token=${token}`, { body: { client_id: rig.provider.knobs.clientId, client_secret: 'not-the-secret' } });
    expect(wrong.status).to.equal(400);
    expect(wrong.body.error.code).to.equal('invalid_client');
    expect((await liveConnections()).length).to.equal(before);
    const right = await http(rig.api.url, 'POST', `/oauth2/auth/cc?connect_session_token=${token}`, { body: { client_id: rig.provider.knobs.clientId, client_secret: rig.provider.knobs.clientSecret } });
    expect(right.status).to.equal(200);
    const got = await http(rig.api.url, 'GET', `/connections/${right.body.connectionId}?provider_config_key=cc`, { token: rig.api.secretKey });
    expect(got.body.credentials.type).to.equal('OAUTH2_CC');
    expect(rig.provider.isAccessTokenValid(got.body.credentials.token)).to.equal(true);
    expect(rig.provider.tokenCalls('client_credentials').at(-1)!.body.scope).to.equal('read');
  });

  it('unauthenticated: connects without credentials', async () => {
    const token = await session();
    const response = await http(rig.api.url, 'POST', `/auth/unauthenticated/public?connect_session_token=${token}`, { body: {} });
    expect(response.status).to.equal(200);
    const got = await http(rig.api.url, 'GET', `/connections/${response.body.connectionId}?provider_config_key=public`, { token: rig.api.secretKey });
    expect(got.body.credentials).to.deep.equal({ type: 'NONE' });
  });

  it('refuses connection_id with a session, an integration outside the allowed list, and the wrong auth mode', async () => {
    const token = await session({ allowed_integrations: ['keys'] });
    const withId = await http(rig.api.url, 'POST', `/api-auth/api-key/keys?connect_session_token=${token}&connection_id=mine`, { body: { apiKey: API_KEY } });
    expect(withId.status).to.equal(400);
    expect(withId.body.error.code).to.equal('invalid_query_params');
    const notAllowed = await fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=${token}`, { redirect: 'manual' });
    expect(notAllowed.status).to.equal(400);
    expect(((await notAllowed.json()) as { error: { code: string } }).error.code).to.equal('integration_not_allowed');
    const open = await session();
    const wrongMode = await http(rig.api.url, 'POST', `/api-auth/api-key/fake?connect_session_token=${open}`, { body: { apiKey: API_KEY } });
    expect(wrongMode.status).to.equal(400);
    expect(wrongMode.body.error.code).to.equal('invalid_auth_mode');
  });

  it('a reconnect session keeps the connection id, replaces the credentials and sends the override webhook', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const first = await session({ webhook_url_override: receiver.url });
      const created = await completeOAuth(first);
      await receiver.waitForAnswered(1);
      const reconnect = await http(rig.api.url, 'POST', '/connect/sessions/reconnect', {
        token: rig.api.secretKey,
        body: { connection_id: created.connectionId, integration_id: 'fake', end_user: { id: 'u-1' } },
      });
      expect(reconnect.status).to.equal(201);
      const again = await completeOAuth(reconnect.body.data.token as string);
      expect(again.connectionId).to.equal(created.connectionId);
      expect(again.operation).to.equal('override');
      await receiver.waitForAnswered(2);
      const bodies = receiver.received.map((r) => JSON.parse(r.rawBody) as Record<string, unknown>);
      expect(bodies.map((b) => [b.operation, b.success, b.connectionId])).to.deep.equal([
        ['creation', true, created.connectionId],
        ['override', true, created.connectionId],
      ]);
      const rows = await rig.api.deps.db.getRepository(ConnectionEntity).findBy({ connectionId: created.connectionId });
      expect(rows).to.have.length(1);
      expect(rows[0]!.credentialsVersion).to.equal(2);
    } finally {
      await receiver.close();
    }
  });

  it('security: a session token reads no connection and no other environment\'s data', async () => {
    const token = await session();
    const created = await completeOAuth(token);
    for (const path of [`/connections/${created.connectionId}?provider_config_key=fake`, '/connections', '/environment', `/connections/${created.connectionId}/logs?provider_config_key=fake`]) {
      const response = await http(rig.api.url, 'GET', path, { token });
      expect(response.status, path).to.equal(401);
      expect(JSON.stringify(response.body)).to.not.match(/fake-at-|access_token/);
    }
    const otherKey = await rig.api.createEnvironment('other');
    const other = await http(rig.api.url, 'POST', '/connect/sessions', { token: otherKey, body: { end_user: { id: 'x' } } });
    const integrations = await http(rig.api.url, 'GET', '/integrations', { token: other.body.data.token as string });
    expect(integrations.status).to.equal(200);
    expect(integrations.body.data).to.deep.equal([]);
    const foreign = await fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=${other.body.data.token as string}`, { redirect: 'manual' });
    expect(foreign.status, "another environment's integration does not exist for this session").to.equal(400);
  });

  it('a browser that cannot start the flow gets the error page for its opener; API clients get JSON', async () => {
    const page = await fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=nango_connect_session_${'0'.repeat(64)}`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).to.equal(401);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    const html = await page.text();
    expect(html).to.include('nango_oauth_callback_error');
    expect(html).to.include('unknown_connect_session_token');
    const json = await fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=nango_connect_session_${'0'.repeat(64)}`, { redirect: 'manual' });
    expect(((await json.json()) as { error: { code: string } }).error.code).to.equal('unknown_connect_session_token');
  });

  it('security: a PKCE verifier that does not match fails the exchange and stores nothing', async () => {
    const token = await session();
    const start = await fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=${token}`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location')!);
    const state = authorize.searchParams.get('state')!;
    await rig.api.deps.db.getRepository(AuthAttemptEntity).update({ id: state }, { secretsEncrypted: rig.api.deps.cipher.encrypt(JSON.stringify({ pkceVerifier: 'a-verifier-that-was-never-challenged-000000000' }), ENCRYPTED.attemptSecrets, state) });
    const callback = (await fetch(authorize, { redirect: 'manual' })).headers.get('location')!;
    const page = await fetch(callback);
    expect(page.status).to.equal(400);
    expect(await page.text()).to.include('invalid_grant');
    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(attempt).to.include({ status: 'failed', errorCode: 'invalid_grant', credentialsEncrypted: null });
    expect(await rig.api.deps.db.getRepository(ConnectionEntity).countBy({ connectionId: attempt.connectionId })).to.equal(0);
  });

  it('security: a subdomain outside its pattern never reaches a provider URL and creates no attempt', async () => {
    const token = await session();
    await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'zendesk', provider: 'zendesk', displayName: null, clientId: 'zid', clientSecret: 'zsecret', scopes: [], forwardWebhooks: true });
    const attemptsBefore = await rig.api.deps.db.getRepository(AuthAttemptEntity).count();
    for (const evil of ['evil.com/x?', 'a@b', 'x.evil.com#']) {
      const response = await fetch(`${rig.api.url}/oauth/connect/zendesk?connect_session_token=${token}&params[subdomain]=${encodeURIComponent(evil)}`, { redirect: 'manual' });
      expect(response.status, evil).to.equal(400);
      const body = (await response.json()) as { error: { code: string; errors: Array<{ path: string[] }> } };
      expect(body.error.code).to.equal('invalid_connection_config');
      expect(body.error.errors[0]!.path).to.deep.equal(['params', 'subdomain']);
      expect(response.headers.get('location')).to.equal(null);
    }
    expect(await rig.api.deps.db.getRepository(AuthAttemptEntity).count()).to.equal(attemptsBefore);
    const fine = await fetch(`${rig.api.url}/oauth/connect/zendesk?connect_session_token=${token}&params[subdomain]=acme`, { redirect: 'manual' });
    expect(fine.status).to.equal(302);
    expect(new URL(fine.headers.get('location')!).host).to.equal('acme.zendesk.com');
  });

  it('security: an expired or malformed session token is refused before anything happens', async () => {
    const token = await session();
    await rig.api.deps.db.query(`UPDATE connect_session SET expires_at = now() - interval '1 minute'`);
    const expired = await http(rig.api.url, 'POST', `/api-auth/api-key/keys?connect_session_token=${token}`, { body: { apiKey: API_KEY } });
    expect(expired.status).to.equal(401);
    expect(expired.body.error.code).to.equal('unknown_connect_session_token');
    const malformed = await fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=nango_connect_session_xyz`, { redirect: 'manual' });
    expect(malformed.status).to.equal(401);
    const withSecretKey = await http(rig.api.url, 'POST', '/api-auth/api-key/keys', { token: rig.api.secretKey, body: { apiKey: API_KEY } });
    expect(withSecretKey.status, 'a secret key does not open session routes').to.equal(401);
  });
  describe('session pins win over the browser', () => {
    const key = 'zendesk-pins';
    before(async () => {
      await rig.api.deps.integrations.create(environment.id, { uniqueKey: key, provider: 'zendesk', displayName: null, clientId: 'zid', clientSecret: 'zsecret', scopes: [], forwardWebhooks: true });
    });
    const attempts = () => rig.api.deps.db.getRepository(AuthAttemptEntity).count();
    before(async () => {
      await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'realm', provider: 'fake-realm', displayName: null, clientId: rig.provider.knobs.clientId, clientSecret: rig.provider.knobs.clientSecret, scopes: [], forwardWebhooks: true });
    });
    const start = (token: string, query: string) => fetch(`${rig.api.url}/oauth/connect/${key}?connect_session_token=${token}${query}`, { redirect: 'manual' });

    async function expectPinned(response: Response, path: string[]): Promise<void> {
      expect(response.status).to.equal(400);
      expect(response.headers.get('location')).to.equal(null);
      const body = (await response.json()) as { error: { code: string; message: string; errors: Array<{ path: string[] }> } };
      expect(body.error.code).to.equal('pinned_by_session');
      expect(body.error.message).to.include(path.length === 2 ? `${path[0]}[${path[1]}]` : path[0]);
      expect(body.error.errors[0]!.path).to.deep.equal(path);
    }

    it('security: a pinned subdomain survives a browser override', async () => {
      const token = await session({ integrations_config_defaults: { [key]: { connection_config: { subdomain: 'acme' } } } });
      const before = await attempts();
      await expectPinned(await start(token, '&params[subdomain]=evil'), ['params', 'subdomain']);
      expect(await attempts(), 'no attempt is recorded for a refused override').to.equal(before);
      for (const query of ['', '&params[subdomain]=acme']) {
        const fine = await start(token, query);
        expect(fine.status, query).to.equal(302);
        expect(new URL(fine.headers.get('location')!).host).to.equal('acme.zendesk.com');
      }
    });

    it('security: a pinned connection_config value survives a browser override in the direct flows', async () => {
      const token = await session({ integrations_config_defaults: { keys: { connection_config: { region: 'eu' } } } });
      const refused = await http(rig.api.url, 'POST', `/api-auth/api-key/keys?connect_session_token=${token}&params[region]=us`, { body: { apiKey: API_KEY } });
      expect(refused.status).to.equal(400);
      expect(refused.body.error.code).to.equal('pinned_by_session');
      expect(refused.body.error.errors[0].path).to.deep.equal(['params', 'region']);
    });

    it('security: pinned authorization_params survive a browser override', async () => {
      const token = await session({ integrations_config_defaults: { [key]: { connection_config: { subdomain: 'acme' }, authorization_params: { prompt: 'consent' } } } });
      const before = await attempts();
      await expectPinned(await start(token, '&authorization_params[prompt]=none'), ['authorization_params', 'prompt']);
      expect(await attempts()).to.equal(before);
      const fine = await start(token, '&authorization_params[prompt]=consent&authorization_params[login_hint]=u1');
      expect(fine.status).to.equal(302);
      const url = new URL(fine.headers.get('location')!);
      expect(url.searchParams.get('prompt')).to.equal('consent');
      expect(url.searchParams.get('login_hint'), 'an unpinned parameter still passes').to.equal('u1');
    });

    it('security: pinned user_scopes survive a browser user_scope', async () => {
      const token = await session({ integrations_config_defaults: { [key]: { connection_config: { subdomain: 'acme' }, user_scopes: 'read,write' } } });
      const before = await attempts();
      await expectPinned(await start(token, '&user_scope=admin'), ['user_scope']);
      expect(await attempts()).to.equal(before);
      for (const query of ['', '&user_scope=read,write']) {
        const fine = await start(token, query);
        expect(fine.status, query).to.equal(302);
        expect(new URL(fine.headers.get('location')!).searchParams.get('user_scope')!.split(/[ ,]/)).to.deep.equal(['read', 'write']);
      }
    });
    it('security: a pinned connection_config value survives a callback URL the browser appended it to (redirect_uri_metadata)', async () => {
      const pinnedRealm = { integrations_config_defaults: { realm: { connection_config: { realmId: 'acme' } } } };
      const callbackFor = async (token: string): Promise<{ callback: URL; state: string }> => {
        const start = await fetch(`${rig.api.url}/oauth/connect/realm?connect_session_token=${token}`, { redirect: 'manual' });
        expect(start.status).to.equal(302);
        const authorize = new URL(start.headers.get('location')!);
        const callback = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
        return { callback, state: authorize.searchParams.get('state')! };
      };
      const tampered = await callbackFor(await session(pinnedRealm));
      tampered.callback.searchParams.set('realmId', 'evil');
      const page = await fetch(tampered.callback);
      expect(page.status).to.not.equal(200);
      expect(await page.text()).to.include('pinned_by_session');
      const refused = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: tampered.state });
      expect(refused).to.include({ status: 'failed', errorCode: 'pinned_by_session', credentialsEncrypted: null });
      const realm = (await rig.api.deps.integrations.find(environment.id, 'realm'))!;
      expect(await rig.api.deps.db.getRepository(ConnectionEntity).countBy({ integrationId: realm.id }), 'no connection under the tampered realm').to.equal(0);

      const honest = await callbackFor(await session(pinnedRealm));
      honest.callback.searchParams.set('realmId', 'acme');
      expect((await fetch(honest.callback)).status).to.equal(200);
      const stored = await rig.api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ integrationId: realm.id });
      expect(stored.connectionConfig).to.deep.include({ realmId: 'acme' });
    });
  });
});

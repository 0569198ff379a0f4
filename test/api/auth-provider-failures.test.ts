import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AuthAttemptEntity, ConnectionEntity, type EnvironmentEntity } from '../../src/db/entities';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { fakeApiKeyEntry, fakeOAuth1Entry, fakeProviderEntry } from '../support/fake-provider';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';
import { startSilentProvider, stoppedProviderUrl, type SilentProvider } from '../support/unreachable-providers';
import { CookieJar } from '../support/cookie-jar';

/** One browser for the file's flows: the callback must come from the browser that started the attempt. */
const fetch = new CookieJar().fetch;

const API_KEY = 'sk-fake-reachable-0001';

describe('provider failures at the authorization routes and imports (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let silent: SilentProvider;
  let down: string;
  let environment: EnvironmentEntity;

  before(async () => {
    env = await createDevServerEnv();
    silent = await startSilentProvider();
    down = await stoppedProviderUrl();
    rig = await startConnectionsRig(env, {
      knobs: { apiKeys: [API_KEY] },
      // Short enough for a silent provider to time out quickly; the real default is 60 s.
      configEnv: { PROVIDER_TIMEOUT: '1s' },
      extraProviders: (provider) => ({
        'fake-apikey': fakeApiKeyEntry(provider),
        'down-apikey': fakeApiKeyEntry({ url: down }),
        'silent-apikey': fakeApiKeyEntry({ url: silent.url }),
        'down-oauth1': fakeOAuth1Entry({ url: down }),
        'silent-oauth1': fakeOAuth1Entry({ url: silent.url }),
        // The browser's part works (the fake provider authorizes); the code exchange meets the broken endpoint.
        'down-oauth2': fakeProviderEntry(provider, { token_url: `${down}/token` }),
        'silent-oauth2': fakeProviderEntry(provider, { token_url: `${silent.url}/token` }),
      }),
    });
    environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    for (const key of ['fake-apikey', 'down-apikey', 'silent-apikey']) {
      await rig.api.deps.integrations.create(environment.id, { uniqueKey: key, provider: key, displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
    }
    for (const key of ['down-oauth1', 'silent-oauth1', 'down-oauth2', 'silent-oauth2']) {
      await rig.api.deps.integrations.create(environment.id, {
        uniqueKey: key,
        provider: key,
        displayName: null,
        clientId: rig.provider.knobs.clientId,
        clientSecret: rig.provider.knobs.clientSecret,
        scopes: [],
        forwardWebhooks: true,
      });
    }
  });
  after(async () => {
    await rig?.close();
    await silent?.close();
    await env?.teardown();
  });

  async function session(): Promise<string> {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'u-1' } } });
    expect(created.status).to.equal(201);
    return created.body.data.token as string;
  }

  async function connectionCount(): Promise<number> {
    return rig.api.deps.db.getRepository(ConnectionEntity).count({ where: { environmentId: environment.id } });
  }

  const unreachable = (url: string, endpoint: string, provider: string) => ({
    error: { code: 'provider_unreachable', message: `The ${endpoint} of ${provider} (${url}) could not be reached: ECONNREFUSED` },
  });
  const timedOut = (url: string, endpoint: string, provider: string) => ({
    error: { code: 'provider_timeout', message: `The ${endpoint} of ${provider} (${url}) did not answer within 1 s` },
  });

  describe('API key verification (POST /api-auth/api-key/:key)', () => {
    const submit = async (key: string, apiKey: string) => http(rig.api.url, 'POST', `/api-auth/api-key/${key}?connect_session_token=${await session()}`, { body: { apiKey } });

    it('answers 502 provider_unreachable naming the provider when it refuses connections, and stores nothing', async () => {
      const before = await connectionCount();
      const response = await submit('down-apikey', API_KEY);
      expect({ status: response.status, body: response.body }).to.deep.equal({ status: 502, body: unreachable(`${down}/verify`, 'verification endpoint', 'Fake API key') });
      expect(await connectionCount()).to.equal(before);
    });

    it('answers 504 provider_timeout naming the provider when it never answers', async () => {
      const response = await submit('silent-apikey', API_KEY);
      expect({ status: response.status, body: response.body }).to.deep.equal({ status: 504, body: timedOut(`${silent.url}/verify`, 'verification endpoint', 'Fake API key') });
      expect(silent.paths.filter((p) => p === '/verify'), 'a lost answer is not asked again').to.have.length(1);
    });

    it('still answers 400 connection_test_failed when the provider refuses the key', async () => {
      const response = await submit('fake-apikey', 'sk-not-a-key');
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('connection_test_failed');
    });
  });

  describe('import (POST /connections) of an API key', () => {
    const importKey = (key: string, connectionId: string, apiKey = API_KEY) =>
      http(rig.api.url, 'POST', '/connections', { token: rig.api.secretKey, body: { provider_config_key: key, connection_id: connectionId, credentials: { type: 'API_KEY', apiKey } } });

    it('answers 502 provider_unreachable when the verification endpoint refuses connections, and stores nothing', async () => {
      const before = await connectionCount();
      const response = await importKey('down-apikey', 'import-down');
      expect({ status: response.status, body: response.body }).to.deep.equal({ status: 502, body: unreachable(`${down}/verify`, 'verification endpoint', 'Fake API key') });
      expect(await connectionCount()).to.equal(before);
    });

    it('answers 504 provider_timeout when the verification endpoint never answers', async () => {
      const response = await importKey('silent-apikey', 'import-silent');
      expect({ status: response.status, body: response.body }).to.deep.equal({ status: 504, body: timedOut(`${silent.url}/verify`, 'verification endpoint', 'Fake API key') });
    });

    it('still answers 400 connection_test_failed for a key the provider refuses', async () => {
      const response = await importKey('fake-apikey', 'import-refused', 'sk-not-a-key');
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('connection_test_failed');
    });
  });

  describe('OAuth 1.0a request token (GET /oauth/connect/:key)', () => {
    const start = async (key: string) => http(rig.api.url, 'GET', `/oauth/connect/${key}?connect_session_token=${await session()}`);

    it('answers 502 provider_unreachable and closes the attempt when the request token endpoint refuses connections', async () => {
      const response = await start('down-oauth1');
      expect({ status: response.status, body: response.body }).to.deep.equal({ status: 502, body: unreachable(`${down}/oauth1/request_token`, 'request token endpoint', 'Fake OAuth 1.0a') });
      const attempts = await rig.api.deps.db.getRepository(AuthAttemptEntity).find({ where: { environmentId: environment.id, authMode: 'OAUTH1' } });
      expect(attempts.map((a) => [a.status, a.errorCode])).to.deep.include(['failed', 'provider_unreachable']);
    });

    it('answers 504 provider_timeout when the request token endpoint never answers', async () => {
      const response = await start('silent-oauth1');
      expect({ status: response.status, body: response.body }).to.deep.equal({ status: 504, body: timedOut(`${silent.url}/oauth1/request_token`, 'request token endpoint', 'Fake OAuth 1.0a') });
    });
  });

  describe('OAuth 2.0 code exchange (GET /oauth/callback)', () => {
    /** The browser's way: /oauth/connect, the provider's authorize page, then the callback; returns the callback page and the attempt. */
    async function callback(key: string): Promise<{ status: number; html: string; attempt: AuthAttemptEntity }> {
      const begin = await fetch(`${rig.api.url}/oauth/connect/${key}?connect_session_token=${await session()}`, { redirect: 'manual' });
      expect(begin.status).to.equal(302);
      const authorize = new URL(begin.headers.get('location')!);
      const back = (await fetch(authorize, { redirect: 'manual' })).headers.get('location')!;
      const page = await fetch(back);
      const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: authorize.searchParams.get('state')! });
      return { status: page.status, html: await page.text(), attempt };
    }

    it('answers the callback page with 502 and errorType provider_unreachable when the token endpoint refuses connections', async () => {
      const { status, html, attempt } = await callback('down-oauth2');
      expect(status).to.equal(502);
      expect(html).to.include('nango_oauth_callback_error').and.include('provider_unreachable').and.include('Fake OAuth');
      expect(attempt).to.include({ status: 'failed', errorCode: 'provider_unreachable' });
    });

    it('answers the callback page with 504 and errorType provider_timeout when the token endpoint never answers, sending the code once', async () => {
      const { status, html, attempt } = await callback('silent-oauth2');
      expect(status).to.equal(504);
      expect(html).to.include('nango_oauth_callback_error').and.include('provider_timeout');
      expect(attempt).to.include({ status: 'failed', errorCode: 'provider_timeout' });
      expect(silent.paths.filter((p) => p === '/token'), 'a single-use code is not exchanged twice').to.have.length(1);
    });
  });
});

import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ApplicationFailure } from '@temporalio/activity';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createActivities } from '../../activities';
import { loadCatalog } from '../../providers/load-catalog';
import { AuthAttemptEntity, type ConnectionEntity, type EnvironmentEntity } from '../../src/db/entities';
import { createLogger } from '../../src/logger';
import { startTestApi, type TestApi } from '../support/api-server';
import { http, type HttpResult } from '../support/http';
import { ENCRYPTED } from '../../src/crypto/encrypted-columns';

/** Private providers in a PROVIDERS_FILE, one per auth mode, later removed from it. */
const PRIVATE_PROVIDERS: Record<string, Record<string, unknown>> = {
  'my-oauth2': { auth_mode: 'OAUTH2', authorization_url: 'https://auth.my-company.example/authorize', token_url: 'https://auth.my-company.example/token' },
  'my-oauth1': {
    auth_mode: 'OAUTH1',
    request_url: 'https://auth.my-company.example/oauth1/request_token',
    authorization_url: 'https://auth.my-company.example/oauth1/authorize',
    token_url: 'https://auth.my-company.example/oauth1/access_token',
  },
  'my-cc': { auth_mode: 'OAUTH2_CC', token_url: 'https://auth.my-company.example/token' },
  'my-apikey': { auth_mode: 'API_KEY' },
  'my-basic': { auth_mode: 'BASIC' },
  'my-none': { auth_mode: 'NONE' },
};

/** Integration key → its provider. */
const INTEGRATIONS: Record<string, string> = {
  'priv-oauth2': 'my-oauth2',
  'priv-oauth1': 'my-oauth1',
  'priv-cc': 'my-cc',
  'priv-apikey': 'my-apikey',
  'priv-basic': 'my-basic',
  'priv-none': 'my-none',
};

/** The whole error body of a 409 for `key`. */
function notInCatalog(key: string): unknown {
  const provider = INTEGRATIONS[key]!;
  return {
    error: {
      code: 'provider_not_in_catalog',
      message: `Integration "${key}" uses provider "${provider}", which is not in the provider catalog (removed from PROVIDERS_FILE or renamed by an upgrade); add the provider back to the catalog`,
    },
  };
}

function expect409(response: HttpResult, key: string): void {
  expect({ status: response.status, body: response.body }).to.deep.equal({ status: 409, body: notInCatalog(key) });
}

describe('integrations whose provider left the catalog answer 409 provider_not_in_catalog', () => {
  let dir: string;
  let before_: TestApi;
  let api: TestApi;
  let environment: EnvironmentEntity;
  let connection: ConnectionEntity;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'custodian-orphans-'));
    const providersFile = path.join(dir, 'providers.yaml');
    writeFileSync(providersFile, stringify(PRIVATE_PROVIDERS));
    // Yesterday: the providers were in PROVIDERS_FILE and the integrations were made on them.
    before_ = await startTestApi({ catalog: loadCatalog({ extraFile: providersFile }) });
    for (const [key, provider] of Object.entries(INTEGRATIONS)) {
      const oauth = PRIVATE_PROVIDERS[provider]!.auth_mode === 'OAUTH2' || PRIVATE_PROVIDERS[provider]!.auth_mode === 'OAUTH1';
      const credentials = oauth ? { type: PRIVATE_PROVIDERS[provider]!.auth_mode, client_id: 'client', client_secret: 'client-secret' } : undefined;
      const created = await http(before_.url, 'POST', '/integrations', { token: before_.secretKey, body: { provider, unique_key: key, credentials } });
      expect(created.status, key).to.equal(200);
    }
    environment = (await before_.deps.environments.findBySecretKey(before_.secretKey))!;
    const integration = (await before_.deps.integrations.find(environment.id, 'priv-apikey'))!;
    ({ row: connection } = await before_.deps.connections.importConnection({
      environmentId: environment.id,
      integrationId: integration.id,
      connectionId: 'conn-1',
      credentials: { type: 'API_KEY', apiKey: 'stored-api-key' },
      expiresAt: null,
    }));
    // Today: the same database, started with the entries removed from PROVIDERS_FILE.
    api = await startTestApi({ databaseUrl: before_.databaseUrl, encryptionKey: before_.encryptionKey, catalog: loadCatalog() });
  });
  after(async () => {
    await api?.close();
    await before_?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (method: string, route: string, body?: unknown) => http(api.url, method, route, { token: before_.secretKey, body });

  async function sessionToken(): Promise<string> {
    const created = await call('POST', '/connect/sessions', { end_user: { id: 'u-orphans' } });
    expect(created.status).to.equal(201);
    return created.body.data.token as string;
  }

  describe('imports', () => {
    it('POST /connections', async () => {
      expect409(await call('POST', '/connections', { provider_config_key: 'priv-apikey', connection_id: 'new', credentials: { type: 'API_KEY', apiKey: 'k' } }), 'priv-apikey');
    });

    it('the legacy POST /connection', async () => {
      expect409(await call('POST', '/connection', { provider_config_key: 'priv-basic', connection_id: 'new', username: 'u', password: 'p' }), 'priv-basic');
    });
  });

  describe('browser-facing authorization', () => {
    it('GET /oauth/connect for OAuth 2.0 and OAuth 1.0a integrations: JSON for API clients', async () => {
      const token = await sessionToken();
      for (const key of ['priv-oauth2', 'priv-oauth1']) expect409(await http(api.url, 'GET', `/oauth/connect/${key}?connect_session_token=${token}`), key);
    });

    it('GET /oauth/connect from a browser: the callback error page with status 409 and the code as error type', async () => {
      const token = await sessionToken();
      const page = await fetch(`${api.url}/oauth/connect/priv-oauth2?connect_session_token=${token}`, { headers: { accept: 'text/html' }, redirect: 'manual' });
      expect(page.status).to.equal(409);
      expect(page.headers.get('content-type')).to.include('text/html');
      const html = await page.text();
      expect(html).to.include('nango_oauth_callback_error').and.include('provider_not_in_catalog');
    });

    it('the direct flows: api-key, basic, client credentials, unauthenticated', async () => {
      const token = await sessionToken();
      const direct = (route: string, body: unknown) => http(api.url, 'POST', `${route}?connect_session_token=${token}`, { body });
      expect409(await direct('/api-auth/api-key/priv-apikey', { apiKey: 'k' }), 'priv-apikey');
      expect409(await direct('/api-auth/basic/priv-basic', { username: 'u', password: 'p' }), 'priv-basic');
      expect409(await direct('/oauth2/auth/priv-cc', { client_id: 'c', client_secret: 's' }), 'priv-cc');
      expect409(await direct('/auth/unauthenticated/priv-none', {}), 'priv-none');
    });
  });

  describe('connections', () => {
    it('GET /connections/:id, also with force_refresh, and the legacy path', async () => {
      expect409(await call('GET', '/connections/conn-1?provider_config_key=priv-apikey'), 'priv-apikey');
      expect409(await call('GET', '/connections/conn-1?provider_config_key=priv-apikey&force_refresh=true'), 'priv-apikey');
      expect409(await call('GET', '/connection/conn-1?provider_config_key=priv-apikey'), 'priv-apikey');
    });

    it('routes that need no catalog entry keep working: list, PATCH, metadata, logs', async () => {
      const listed = await call('GET', '/connections?integrationId=priv-apikey');
      expect(listed.status).to.equal(200);
      expect(listed.body.connections.map((c: { connection_id: string }) => c.connection_id)).to.deep.equal(['conn-1']);
      expect((await call('PATCH', '/connections/conn-1?provider_config_key=priv-apikey', { tags: { team: 'a' } })).status).to.equal(200);
      expect((await call('PATCH', '/connections/metadata', { connection_id: 'conn-1', provider_config_key: 'priv-apikey', metadata: { a: 1 } })).status).to.equal(200);
      expect((await call('GET', '/connections/conn-1/logs?provider_config_key=priv-apikey')).status).to.equal(200);
    });
  });

  describe('integrations', () => {
    it('GET /integrations/:key', async () => {
      expect409(await call('GET', '/integrations/priv-oauth2'), 'priv-oauth2');
      expect409(await call('GET', '/integrations/priv-oauth2?include=credentials'), 'priv-oauth2');
    });

    it('PATCH /integrations/:key without a new provider; a new unknown provider is still 400 invalid_body', async () => {
      expect409(await call('PATCH', '/integrations/priv-cc', { display_name: 'Renamed' }), 'priv-cc');
      const unknown = await call('PATCH', '/integrations/priv-cc', { provider: 'nope-provider' });
      expect(unknown.status).to.equal(400);
      expect(unknown.body.error.code).to.equal('invalid_body');
    });

    it('GET /integrations still lists them, with auth_mode null; DELETE still removes one', async () => {
      const listed = await call('GET', '/integrations');
      expect(listed.status).to.equal(200);
      const mine = (listed.body.data as { unique_key: string; auth_mode: string | null }[]).filter((i) => i.unique_key in INTEGRATIONS);
      expect(mine.map((i) => [i.unique_key, i.auth_mode]).sort()).to.deep.equal(Object.keys(INTEGRATIONS).sort().map((key) => [key, null]));
      expect(await call('DELETE', '/integrations/priv-none')).to.deep.include({ status: 200, body: { success: true } });
      expect((await call('GET', '/integrations/priv-none')).status).to.equal(404);
    });
  });

  describe('connect sessions (they read no catalog entry)', () => {
    it('POST /connect/sessions allowing such an integration and GET /connect/session answer as usual', async () => {
      const created = await call('POST', '/connect/sessions', { end_user: { id: 'u-orphans' }, allowed_integrations: ['priv-oauth2'] });
      expect(created.status).to.equal(201);
      const read = await http(api.url, 'GET', '/connect/session', { token: created.body.data.token });
      expect(read.status).to.equal(200);
      expect(read.body.data.allowed_integrations).to.deep.equal(['priv-oauth2']);
    });
  });

  describe('activities on a worker whose catalog lacks the provider', () => {
    const activities = () =>
      createActivities({ db: api.deps.db, cipher: api.deps.cipher, catalog: api.deps.catalog, config: api.deps.config, logger: createLogger('silent') });

    it('the connection workflow\'s activities fail non-retryably with provider_not_in_catalog, naming both', async () => {
      for (const run of [
        () => activities().describeConnection({ connectionRowId: connection.id }),
        () => activities().refreshCredentials({ connectionRowId: connection.id, nowMs: Date.now() }),
      ]) {
        const failure = await run().then(() => null, (error: unknown) => error);
        expect(failure).to.be.instanceOf(ApplicationFailure);
        expect(failure).to.deep.include({ type: 'provider_not_in_catalog', nonRetryable: true, message: (notInCatalog('priv-apikey') as { error: { message: string } }).error.message });
      }
    });

    it('the authorization activity finishes the attempt with provider_not_in_catalog', async () => {
      const integration = (await api.deps.integrations.find(environment.id, 'priv-basic'))!;
      const attempts = api.deps.db.getRepository(AuthAttemptEntity);
      const attemptId = randomUUID();
      const attempt = await attempts.save(attempts.create({
        id: attemptId,
        environmentId: environment.id,
        sessionId: null,
        integrationId: integration.id,
        connectionId: 'attempted',
        authMode: 'BASIC',
        status: 'pending',
        expiresAt: new Date(Date.now() + 60_000),
        callbackParamsEncrypted: api.deps.cipher.encrypt(JSON.stringify({ username: 'u', password: 'p' }), ENCRYPTED.attemptCallbackParams, attemptId),
      }));
      const outcome = await activities().obtainCredentials({ attemptId: attempt.id, nowMs: Date.now() });
      expect(outcome).to.deep.equal({ ok: false, errorCode: 'provider_not_in_catalog', errorMessage: (notInCatalog('priv-basic') as { error: { message: string } }).error.message });
    });
  });
});

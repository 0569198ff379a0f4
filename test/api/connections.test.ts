import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { fakeApiKeyEntry, fakeBasicEntry } from '../support/fake-provider';
import { http, type HttpResult } from '../support/http';
import { FAKE_PROVIDER } from '../support/lifecycle';
import { ConnectionEntity, type EnvironmentEntity } from '../../src/db/entities';
import { connectionWorkflowId } from '../../workflows/connection-messages';

/** Webhook overrides point here: fetch refuses port 9 ("bad port"), so webhook deliveries never leave the process. */
const NOWHERE = 'http://127.0.0.1:9/hooks';

/** The connection routes over raw HTTP (API.md §2), against a real worker on a Temporal dev server. */
describe('/connections routes (API.md §2, dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let environment: EnvironmentEntity;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      extraProviders: (provider) => ({
        'fake-apikey': fakeApiKeyEntry(provider),
        'fake-basic': fakeBasicEntry(provider),
      }),
    });
    environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    const integration = (uniqueKey: string, provider: string) =>
      rig.api.deps.integrations.create(environment.id, { uniqueKey, provider, displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: false });
    await integration('fake-apikey', 'fake-apikey');
    await integration('fake-basic', 'fake-basic');
    await integration('fake-list', FAKE_PROVIDER);
    await integration('fake-list-b', FAKE_PROVIDER);
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });
  beforeEach(() => rig.provider.reset());

  const call = (method: string, path: string, body?: unknown): Promise<HttpResult> => http(rig.api.url, method, path, { token: rig.api.secretKey, body });
  const get = (id: string, query = '', key = 'fake') => call('GET', `/connections/${encodeURIComponent(id)}?provider_config_key=${key}${query}`);
  const accessTokenOf = (body: { credentials: unknown }) => (body.credentials as { access_token: string }).access_token;
  /** Imports made-up OAUTH2 credentials without an expiry (the workflow leaves them alone). */
  const importStatic = (connectionId: string, extra: Record<string, unknown> = {}, key = 'fake') =>
    call('POST', '/connections', { provider_config_key: key, connection_id: connectionId, credentials: { type: 'OAUTH2', access_token: `at-${connectionId}` }, ...extra });
  const updateRow = (connectionId: string, changes: Partial<Pick<ConnectionEntity, 'status' | 'expiresAt' | 'lastRefreshFailureAt' | 'lastRefreshFailureReason'>>) =>
    rig.api.deps.db.getRepository(ConnectionEntity).update({ environmentId: environment.id, integrationId: rig.integration.id, connectionId }, changes);

  describe('POST /connections (import)', () => {
    it('answers 201 with the full connection, refresh token included, tag keys lower-cased', async () => {
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const response = await call('POST', '/connections', {
        provider_config_key: 'fake',
        connection_id: 'import-full',
        credentials: { type: 'OAUTH2', access_token: 'at-import-full', refresh_token: 'rt-import-full', expires_at: expiresAt, raw: { access_token: 'at-import-full', scope: 'read' } },
        connection_config: { tenant: 'acme' },
        metadata: { plan: 'pro' },
        end_user: { id: 'eu-import', email: 'ann@example.com', display_name: 'Ann' },
        tags: { Team: 'core', 'Env.Name': 'prod' },
        webhook_url_override: `${NOWHERE}/custodian`,
      });
      expect(response.status).to.equal(201);
      const body = response.body;
      expect(body.id).to.be.a('string');
      expect(body).to.include({ connection_id: 'import-full', provider_config_key: 'fake', provider: FAKE_PROVIDER, webhook_url_override: `${NOWHERE}/custodian`, last_fetched_at: null });
      expect(body.errors).to.deep.equal([]);
      expect(body.end_user).to.deep.equal({ id: 'eu-import', email: 'ann@example.com', display_name: 'Ann' });
      expect(body.tags).to.deep.equal({ team: 'core', 'env.name': 'prod' });
      expect(body.metadata).to.deep.equal({ plan: 'pro' });
      expect(body.connection_config).to.deep.equal({ tenant: 'acme' });
      expect(body.credentials).to.deep.equal({
        type: 'OAUTH2',
        access_token: 'at-import-full',
        refresh_token: 'rt-import-full',
        expires_at: expiresAt,
        raw: { access_token: 'at-import-full', scope: 'read' },
      });
      expect(Date.parse(body.created_at)).to.be.closeTo(Date.now(), 60_000);
      expect(Date.parse(body.updated_at)).to.be.closeTo(Date.now(), 60_000);
    });

    it('overrides an existing connection on a second import with the same id (same id, new credentials)', async () => {
      const first = await rig.importFromProvider('import-override');
      const second = await rig.importFromProvider('import-override');
      expect(first.status).to.equal(201);
      expect(second.status).to.equal(201);
      expect(second.body.id).to.equal(first.body.id);
      expect(second.body.created_at).to.equal(first.body.created_at);
      expect(accessTokenOf(second.body as { credentials: unknown })).to.not.equal(accessTokenOf(first.body as { credentials: unknown }));
      const fetched = await get('import-override');
      expect(fetched.status).to.equal(200);
      expect(accessTokenOf(fetched.body)).to.equal(accessTokenOf(second.body as { credentials: unknown }));
    });

    it('answers 404 not_found for an unknown integration', async () => {
      const response = await importStatic('import-unknown-integration', {}, 'no-such-integration');
      expect(response.status).to.equal(404);
      expect(response.body.error.code).to.equal('not_found');
    });

    it('answers 400 invalid_body when the credentials type is not the provider auth mode', async () => {
      const response = await call('POST', '/connections', { provider_config_key: 'fake', connection_id: 'import-mismatch', credentials: { type: 'API_KEY', apiKey: 'k' } });
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid_body');
      expect((await get('import-mismatch')).status).to.equal(404);
    });

    it('answers 400 invalid_body with errors[].path when credentials are missing', async () => {
      const response = await call('POST', '/connections', { provider_config_key: 'fake', connection_id: 'import-no-credentials' });
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid_body');
      expect(response.body.error.errors).to.be.an('array').with.length.greaterThan(0);
      expect(response.body.error.errors.map((e: { path: unknown[] }) => e.path)).to.deep.include(['credentials']);
    });

    it('answers 400 invalid_body for a tag key that does not start with a letter', async () => {
      const response = await importStatic('import-bad-tag', { tags: { '1team': 'core' } });
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid_body');
      expect(response.body.error.errors[0].path[0]).to.equal('tags');
      expect((await get('import-bad-tag')).status).to.equal(404);
    });

    it('answers 400 invalid_body for more than 10 tags', async () => {
      const tags = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
      const response = await importStatic('import-too-many-tags', { tags });
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid_body');
      expect((await get('import-too-many-tags')).status).to.equal(404);
    });

    it('answers 400 connection_test_failed for an API key the provider rejects, and stores nothing', async () => {
      rig.provider.knobs.apiKeys = ['good-key'];
      const response = await call('POST', '/connections', { provider_config_key: 'fake-apikey', connection_id: 'apikey-bad', credentials: { type: 'API_KEY', apiKey: 'bad-key' } });
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('connection_test_failed');
      expect(rig.provider.calls.filter((c) => c.path === '/verify').map((c) => c.status)).to.deep.equal([401]);
      expect((await get('apikey-bad', '', 'fake-apikey')).status).to.equal(404);
    });

    it('answers 201 with apiKey credentials for an API key the provider accepts', async () => {
      rig.provider.knobs.apiKeys = ['good-key'];
      const response = await call('POST', '/connections', { provider_config_key: 'fake-apikey', connection_id: 'apikey-good', credentials: { type: 'API_KEY', apiKey: 'good-key' } });
      expect(response.status).to.equal(201);
      expect(response.body.credentials).to.deep.equal({ type: 'API_KEY', apiKey: 'good-key' });
      expect(rig.provider.calls.filter((c) => c.path === '/verify').map((c) => c.status)).to.deep.equal([200]);
      const fetched = await get('apikey-good', '', 'fake-apikey');
      expect(fetched.status).to.equal(200);
      expect(fetched.body.credentials).to.deep.equal({ type: 'API_KEY', apiKey: 'good-key' });
    });

    it('verifies BASIC credentials: 400 connection_test_failed for a wrong password, 201 for the right one', async () => {
      rig.provider.knobs.basicUsers = [{ username: 'ann', password: 's3cret' }];
      const wrong = await call('POST', '/connections', { provider_config_key: 'fake-basic', connection_id: 'basic-1', credentials: { type: 'BASIC', username: 'ann', password: 'nope' } });
      expect(wrong.status).to.equal(400);
      expect(wrong.body.error.code).to.equal('connection_test_failed');
      expect((await get('basic-1', '', 'fake-basic')).status).to.equal(404);
      const right = await call('POST', '/connections', { provider_config_key: 'fake-basic', connection_id: 'basic-1', credentials: { type: 'BASIC', username: 'ann', password: 's3cret' } });
      expect(right.status).to.equal(201);
      expect(right.body.credentials).to.deep.equal({ type: 'BASIC', username: 'ann', password: 's3cret' });
    });
  });

  describe('legacy /connection paths', () => {
    it('POST /connection imports an API key (snake-case api_key), verified first', async () => {
      rig.provider.knobs.apiKeys = ['legacy-good-key'];
      const rejected = await call('POST', '/connection', { provider_config_key: 'fake-apikey', connection_id: 'legacy-apikey', api_key: 'legacy-bad-key' });
      expect(rejected.status).to.equal(400);
      expect(rejected.body.error.code).to.equal('connection_test_failed');
      const body = { provider_config_key: 'fake-apikey', connection_id: 'legacy-apikey', api_key: 'legacy-good-key' };
      const response = await call('POST', '/connection', body);
      expect(response.status).to.equal(201);
      expect(response.body).to.deep.equal(body);
      const fetched = await get('legacy-apikey', '', 'fake-apikey');
      expect(fetched.body.credentials).to.deep.equal({ type: 'API_KEY', apiKey: 'legacy-good-key' });
    });

    it('POST /connection takes a flat body and answers 201 with that body plus connection_id', async () => {
      const body = { provider_config_key: 'fake', connection_id: 'legacy-1', access_token: 'at-legacy-1', refresh_token: 'rt-legacy-1', expires_in: 3600 };
      const response = await call('POST', '/connection', body);
      expect(response.status).to.equal(201);
      expect(response.body).to.deep.equal({ ...body, connection_id: 'legacy-1' });
    });

    it('POST /connection without connection_id answers with a generated UUID', async () => {
      const body = { provider_config_key: 'fake', access_token: 'at-legacy-generated', no_expiration: true };
      const response = await call('POST', '/connection', body);
      expect(response.status).to.equal(201);
      expect(response.body).to.deep.include(body);
      expect(response.body.connection_id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect((await get(response.body.connection_id as string)).status).to.equal(200);
    });

    it('GET then DELETE /connection/:id work like /connections: the imported credentials, then gone', async () => {
      const before = Date.now();
      const imported = await call('POST', '/connection', { provider_config_key: 'fake', connection_id: 'legacy-2', access_token: 'at-legacy-2', refresh_token: 'rt-legacy-2', expires_in: 3600 });
      expect(imported.status).to.equal(201);
      const fetched = await call('GET', '/connection/legacy-2?provider_config_key=fake&refresh_token=true');
      expect(fetched.status).to.equal(200);
      expect(fetched.body.connection_id).to.equal('legacy-2');
      expect(fetched.body.credentials).to.include({ type: 'OAUTH2', access_token: 'at-legacy-2', refresh_token: 'rt-legacy-2' });
      expect(Date.parse(fetched.body.credentials.expires_at as string)).to.be.closeTo(before + 3_600_000, 60_000);
      const viaNew = await get('legacy-2', '&refresh_token=true');
      expect(viaNew.body.credentials).to.deep.equal(fetched.body.credentials);
      const stripped = await call('GET', '/connection/legacy-2?provider_config_key=fake');
      expect(stripped.body.credentials).to.not.have.property('refresh_token');

      const deleted = await call('DELETE', '/connection/legacy-2?provider_config_key=fake');
      expect(deleted.status).to.equal(200);
      expect(deleted.body).to.deep.equal({ success: true });
      expect((await call('GET', '/connection/legacy-2?provider_config_key=fake')).status).to.equal(404);
      expect((await get('legacy-2')).status).to.equal(404);
      const again = await call('DELETE', '/connection/legacy-2?provider_config_key=fake');
      expect(again.status).to.equal(400);
      expect(again.body.error.code).to.equal('unknown_connection');
    });
  });

  describe('GET /connections/:id', () => {
    it('answers 400 invalid_query_params without provider_config_key', async () => {
      await importStatic('get-no-key');
      const response = await call('GET', '/connections/get-no-key');
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid_query_params');
    });

    it('answers 400 unknown_provider_config for an unknown provider_config_key', async () => {
      const response = await get('whatever', '', 'no-such-integration');
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('unknown_provider_config');
    });

    it("a credentials blob copied from one connection row to another is not served as the other's credentials (500, no token)", async () => {
      await importStatic('moved-from');
      await importStatic('moved-to');
      const [own] = (await rig.api.deps.db.query(`SELECT credentials_encrypted AS value FROM connection WHERE connection_id = 'moved-to' AND environment_id = $1`, [environment.id])) as [{ value: string }];
      // Someone with write access to the database copies one row's ciphertext over another's.
      await rig.api.deps.db.query(
        `UPDATE connection SET credentials_encrypted = (SELECT credentials_encrypted FROM connection WHERE connection_id = 'moved-from' AND environment_id = $1)
          WHERE connection_id = 'moved-to' AND environment_id = $1`,
        [environment.id],
      );
      const response = await get('moved-to');
      expect(JSON.stringify(response.body)).to.not.contain('at-moved-from');
      expect(response.status).to.equal(500);
      expect(response.body.error.code).to.equal('server_error');
      expect(accessTokenOf((await get('moved-from')).body)).to.equal('at-moved-from');
      // Put the row's own value back, so its workflow stops failing to read it.
      await rig.api.deps.db.query(`UPDATE connection SET credentials_encrypted = $1 WHERE connection_id = 'moved-to' AND environment_id = $2`, [own.value, environment.id]);
      expect(accessTokenOf((await get('moved-to')).body)).to.equal('at-moved-to');
    });

    it('answers 404 not_found for an unknown connection', async () => {
      const response = await get('no-such-connection');
      expect(response.status).to.equal(404);
      expect(response.body.error.code).to.equal('not_found');
    });

    it('strips every refresh-token key (credentials, raw, connection_config) unless refresh_token=true', async () => {
      const secrets = ['rt-strip-top', 'rt-strip-raw', 'rt-strip-nested', 'rt-strip-list', 'rt-strip-config', 'rt-strip-config-nested'];
      const imported = await importStatic('get-strip', {
        credentials: {
          type: 'OAUTH2',
          access_token: 'at-strip',
          refresh_token: 'rt-strip-top',
          raw: { access_token: 'at-strip', refresh_token: 'rt-strip-raw', nested: { refreshToken: 'rt-strip-nested', keep: 'yes' }, list: [{ 'Refresh-Token': 'rt-strip-list', n: 1 }] },
        },
        connection_config: { refreshToken: 'rt-strip-config', tenant: 'acme', deep: { REFRESH_TOKEN: 'rt-strip-config-nested', region: 'eu' } },
      });
      expect(imported.status).to.equal(201);

      const stripped = await get('get-strip');
      expect(stripped.status).to.equal(200);
      const text = JSON.stringify(stripped.body);
      for (const secret of secrets) expect(text).to.not.include(secret);
      expect(stripped.body.credentials).to.deep.equal({ type: 'OAUTH2', access_token: 'at-strip', raw: { access_token: 'at-strip', nested: { keep: 'yes' }, list: [{ n: 1 }] } });
      expect(stripped.body.connection_config).to.deep.equal({ tenant: 'acme', deep: { region: 'eu' } });
      const explicitFalse = await get('get-strip', '&refresh_token=false');
      for (const secret of secrets) expect(JSON.stringify(explicitFalse.body)).to.not.include(secret);

      const full = await get('get-strip', '&refresh_token=true');
      expect(full.status).to.equal(200);
      expect(full.body.credentials.refresh_token).to.equal('rt-strip-top');
      expect(full.body.credentials.raw).to.deep.equal({ access_token: 'at-strip', refresh_token: 'rt-strip-raw', nested: { refreshToken: 'rt-strip-nested', keep: 'yes' }, list: [{ 'Refresh-Token': 'rt-strip-list', n: 1 }] });
      expect(full.body.connection_config).to.deep.equal({ refreshToken: 'rt-strip-config', tenant: 'acme', deep: { REFRESH_TOKEN: 'rt-strip-config-nested', region: 'eu' } });
    });

    it('sets last_fetched_at on a GET', async () => {
      const imported = await importStatic('get-fetched');
      expect(imported.body.last_fetched_at).to.equal(null);
      const before = Date.now();
      const first = await get('get-fetched');
      expect(first.status).to.equal(200);
      expect(first.body.last_fetched_at).to.be.a('string');
      expect(Date.parse(first.body.last_fetched_at as string)).to.be.within(before - 5_000, Date.now() + 5_000);
      const second = await get('get-fetched');
      expect(second.body.last_fetched_at).to.equal(first.body.last_fetched_at);
    });

    it('answers 400 invalid_credentials for an invalid connection, with the connection (credentials {}) and an auth error in the payload', async () => {
      await importStatic('get-invalid', { credentials: { type: 'OAUTH2', access_token: 'at-get-invalid', refresh_token: 'rt-get-invalid' } });
      await updateRow('get-invalid', { status: 'invalid' });
      const response = await get('get-invalid');
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid_credentials');
      expect(response.body.error.message).to.be.a('string').with.length.greaterThan(0);
      const connection = response.body.error.payload.connection;
      expect(connection).to.include({ connection_id: 'get-invalid', provider_config_key: 'fake', provider: FAKE_PROVIDER });
      expect(connection.credentials).to.deep.equal({});
      expect(connection.errors).to.have.length(1);
      expect(connection.errors[0]).to.have.property('type', 'auth');
      expect(connection.errors[0]).to.have.property('log_id');
      expect(JSON.stringify(response.body)).to.not.match(/at-get-invalid|rt-get-invalid/);
      const listed = await call('GET', '/connections?connectionId=get-invalid');
      expect(listed.body.connections[0].errors).to.deep.equal([{ type: 'auth', log_id: null }]);
    });

    it('refreshes a token expiring within 15 minutes through the workflow and returns the new access token', async () => {
      const imported = await rig.importFromProvider('get-expiring');
      // The workflow scheduled its own refresh for the imported 1 h expiry; moving the expiry under its
      // nose leaves the GET as the only caller that can notice it (no race with a scheduled refresh).
      await updateRow('get-expiring', { expiresAt: new Date(Date.now() + 5 * 60_000) });
      const oldToken = accessTokenOf(imported.body as { credentials: unknown });
      const refreshesBefore = rig.provider.tokenCalls('refresh_token').length;
      const response = await get('get-expiring');
      expect(response.status).to.equal(200);
      expect(rig.provider.tokenCalls('refresh_token').length).to.equal(refreshesBefore + 1);
      const newToken = accessTokenOf(response.body);
      expect(newToken).to.not.equal(oldToken);
      expect(rig.provider.isAccessTokenValid(newToken)).to.equal(true);
      expect(Date.parse(response.body.credentials_expires_at as string)).to.be.greaterThan(Date.now() + 50 * 60_000);
      // Fresh again: the next GET is served from the database.
      const again = await get('get-expiring');
      expect(accessTokenOf(again.body)).to.equal(newToken);
      expect(rig.provider.tokenCalls('refresh_token').length).to.equal(refreshesBefore + 1);
    });

    it('answers 400 invalid_credentials when the refresh fails now (provider refuses the refresh token), pointing at the error log line', async () => {
      await rig.importFromProvider('get-refresh-refused');
      rig.provider.revokeAll();
      const response = await get('get-refresh-refused', '&force_refresh=true');
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid_credentials');
      const connection = response.body.error.payload.connection;
      expect(connection.credentials).to.deep.equal({});
      expect(connection.status).to.equal('invalid');
      expect(connection.errors).to.have.length(1);
      expect(connection.errors[0].type).to.equal('auth');
      const logs = await call('GET', '/connections/get-refresh-refused/logs?provider_config_key=fake');
      const errorLine = (logs.body.data as Array<{ id: string; level: string }>).find((l) => l.level === 'error');
      expect(errorLine, JSON.stringify(logs.body)).to.not.equal(undefined);
      expect(connection.errors[0].log_id).to.equal(errorLine!.id);
      // Still invalid on the next read, without another provider call.
      const refreshes = rig.provider.tokenCalls('refresh_token').length;
      expect((await get('get-refresh-refused')).status).to.equal(400);
      expect(rig.provider.tokenCalls('refresh_token').length).to.equal(refreshes);
    });

    it('answers 424 invalid_credentials while backing off after a failure < 30 s old; force_refresh=true goes to the workflow (200)', async () => {
      const imported = await rig.importFromProvider('get-backoff');
      await updateRow('get-backoff', { status: 'active', expiresAt: new Date(Date.now() + 5 * 60_000), lastRefreshFailureAt: new Date(), lastRefreshFailureReason: 'provider_server_error' });
      const backingOff = await get('get-backoff');
      expect(backingOff.status).to.equal(424);
      expect(backingOff.body.error.code).to.equal('invalid_credentials');
      expect(backingOff.body.error.payload.connection.connection_id).to.equal('get-backoff');
      expect(backingOff.body.error.payload.connection.credentials).to.deep.equal({});
      expect(rig.provider.tokenCalls('refresh_token')).to.have.length(0);

      const forced = await get('get-backoff', '&force_refresh=true');
      expect(forced.status).to.equal(200);
      expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
      const newToken = accessTokenOf(forced.body);
      expect(newToken).to.not.equal(accessTokenOf(imported.body as { credentials: unknown }));
      expect(rig.provider.isAccessTokenValid(newToken)).to.equal(true);
    });
  });

  describe('GET /connections (list)', () => {
    const scope = 'integrationId=fake-list,fake-list-b';
    const list = async (query: string) => {
      const response = await call('GET', `/connections?${query}`);
      expect(response.status, JSON.stringify(response.body)).to.equal(200);
      return (response.body.connections as Array<{ connection_id: string }>).map((c) => c.connection_id);
    };

    before(async () => {
      const create = async (connectionId: string, key: string, extra: Record<string, unknown>) => {
        const response = await importStatic(connectionId, extra, key);
        expect(response.status).to.equal(201);
      };
      await create('list-alpha', 'fake-list', {
        end_user: { id: 'eu-1', email: 'alice@acme.test', display_name: 'Alice Smith', organization: { id: 'org-1' } },
        tags: { team: 'core', env: 'prod' },
        metadata: { n: 1 },
      });
      await create('list-beta', 'fake-list', { end_user: { id: 'eu-2', email: 'bob@other.test', display_name: 'Bob', organization: { id: 'org-2' } }, tags: { team: 'core', env: 'dev' } });
      await create('list-gamma', 'fake-list-b', { end_user: { id: 'eu-1', email: 'carol@acme.test', display_name: 'Carol', organization: { id: 'org-1' } }, tags: { team: 'edge' } });
    });

    it('lists newest first with `created` and without credentials', async () => {
      const response = await call('GET', '/connections?integrationId=fake-list');
      expect(response.status).to.equal(200);
      const items = response.body.connections as Array<Record<string, unknown>>;
      expect(items.map((c) => c.connection_id)).to.deep.equal(['list-beta', 'list-alpha']);
      const alpha = items[1]!;
      expect(alpha).to.include({ connection_id: 'list-alpha', provider_config_key: 'fake-list', provider: FAKE_PROVIDER });
      expect(alpha.id).to.be.a('string');
      expect(alpha.errors).to.deep.equal([]);
      expect(alpha.end_user).to.deep.equal({ id: 'eu-1', email: 'alice@acme.test', display_name: 'Alice Smith', organization: { id: 'org-1' } });
      expect(alpha.tags).to.deep.equal({ team: 'core', env: 'prod' });
      expect(alpha.metadata).to.deep.equal({ n: 1 });
      expect(Date.parse(alpha.created as string)).to.be.closeTo(Date.now(), 120_000);
      expect(alpha).to.not.have.property('created_at');
      expect(alpha).to.not.have.property('credentials');
      expect(JSON.stringify(response.body)).to.not.include('at-list-');
    });

    it('the legacy GET /connection lists the same', async () => {
      const response = await call('GET', '/connection?integrationId=fake-list');
      expect(response.status).to.equal(200);
      expect(response.body.connections.map((c: { connection_id: string }) => c.connection_id)).to.deep.equal(['list-beta', 'list-alpha']);
    });

    it('filters by integrationId (comma-separated keys)', async () => {
      expect(await list(scope)).to.deep.equal(['list-gamma', 'list-beta', 'list-alpha']);
      expect(await list('integrationId=fake-list-b')).to.deep.equal(['list-gamma']);
      expect(await list('integrationId=no-such-integration')).to.deep.equal([]);
    });

    it('filters by exact connectionId', async () => {
      expect(await list('connectionId=list-beta')).to.deep.equal(['list-beta']);
      expect(await list('connectionId=list-bet')).to.deep.equal([]);
    });

    it('search matches a substring of the connection id, end-user display name or email (case-insensitive)', async () => {
      expect(await list(`${scope}&search=gamm`)).to.deep.equal(['list-gamma']);
      expect(await list(`${scope}&search=smith`)).to.deep.equal(['list-alpha']);
      expect(await list(`${scope}&search=ACME.test`)).to.deep.equal(['list-gamma', 'list-alpha']);
      expect(await list(`${scope}&search=list-`)).to.deep.equal(['list-gamma', 'list-beta', 'list-alpha']);
      expect(await list(`${scope}&search=nobody`)).to.deep.equal([]);
    });

    it('filters by endUserId and endUserOrganizationId', async () => {
      expect(await list(`${scope}&endUserId=eu-1`)).to.deep.equal(['list-gamma', 'list-alpha']);
      expect(await list(`${scope}&endUserOrganizationId=org-2`)).to.deep.equal(['list-beta']);
    });

    it('filters by tags[key]=value, all of which must match', async () => {
      const tags = (pairs: Record<string, string>) => Object.entries(pairs).map(([k, v]) => `${encodeURIComponent(`tags[${k}]`)}=${encodeURIComponent(v)}`).join('&');
      expect(await list(`${scope}&${tags({ team: 'core' })}`)).to.deep.equal(['list-beta', 'list-alpha']);
      expect(await list(`${scope}&${tags({ team: 'core', env: 'prod' })}`)).to.deep.equal(['list-alpha']);
      expect(await list(`${scope}&${tags({ team: 'edge', env: 'prod' })}`)).to.deep.equal([]);
      // Unencoded brackets, as some clients send them.
      expect(await list(`${scope}&tags[team]=edge`)).to.deep.equal(['list-gamma']);
    });

    it('pages with limit and page (0-based)', async () => {
      expect(await list(`${scope}&limit=1`)).to.deep.equal(['list-gamma']);
      expect(await list(`${scope}&limit=1&page=1`)).to.deep.equal(['list-beta']);
      expect(await list(`${scope}&limit=2&page=1`)).to.deep.equal(['list-alpha']);
      expect(await list(`${scope}&limit=2&page=2`)).to.deep.equal([]);
      expect(await list(`${scope}&limit=2000`)).to.have.length(3);
    });

    it('answers 400 invalid_query_params for limit 0 or 2001', async () => {
      for (const limit of ['0', '2001']) {
        const response = await call('GET', `/connections?limit=${limit}`);
        expect(response.status, `limit=${limit}`).to.equal(400);
        expect(response.body.error.code).to.equal('invalid_query_params');
      }
    });
  });

  describe('PATCH /connections/:id', () => {
    it('edits end_user, tags and webhook_url_override (200 {success:true}), visible in GET; "" clears the override', async () => {
      await importStatic('patch-1', { end_user: { id: 'eu-a' }, tags: { team: 'a' }, webhook_url_override: `${NOWHERE}/a` });
      const patched = await call('PATCH', '/connections/patch-1?provider_config_key=fake', {
        end_user: { id: 'eu-b', email: 'b@example.com', display_name: 'Bea' },
        tags: { Team: 'b', env: 'prod' },
        webhook_url_override: `${NOWHERE}/b`,
      });
      expect(patched.status).to.equal(200);
      expect(patched.body).to.deep.equal({ success: true });
      let fetched = await get('patch-1');
      expect(fetched.body.end_user).to.deep.equal({ id: 'eu-b', email: 'b@example.com', display_name: 'Bea' });
      expect(fetched.body.tags).to.deep.equal({ team: 'b', env: 'prod' });
      expect(fetched.body.webhook_url_override).to.equal(`${NOWHERE}/b`);

      const cleared = await call('PATCH', '/connections/patch-1?provider_config_key=fake', { webhook_url_override: '' });
      expect(cleared.status).to.equal(200);
      expect(cleared.body).to.deep.equal({ success: true });
      fetched = await get('patch-1');
      expect(fetched.body.webhook_url_override).to.equal(null);
      expect(fetched.body.end_user).to.deep.equal({ id: 'eu-b', email: 'b@example.com', display_name: 'Bea' });
      expect(fetched.body.tags).to.deep.equal({ team: 'b', env: 'prod' });
    });

    it('answers 404 for an unknown connection', async () => {
      const response = await call('PATCH', '/connections/patch-unknown?provider_config_key=fake', { tags: { a: 'b' } });
      expect(response.status).to.equal(404);
      expect(response.body.error.code).to.equal('not_found');
    });
  });

  describe('answers carrying credentials', () => {
    it('POST /connections, GET /connections/:id and GET /connection/:id send Cache-Control: no-store, so no browser or proxy cache keeps the tokens', async () => {
      const imported = await importStatic('cache-1');
      expect(imported.status).to.equal(201);
      expect(imported.headers.get('cache-control')).to.equal('no-store');
      const read = await get('cache-1');
      expect(read.status).to.equal(200);
      expect(read.headers.get('cache-control')).to.equal('no-store');
      const legacy = await call('GET', '/connection/cache-1?provider_config_key=fake');
      expect(legacy.status).to.equal(200);
      expect(legacy.headers.get('cache-control')).to.equal('no-store');
    });

    it("the Temporal memo of a connection whose end user has only an email holds no email address (the end-user id stands in)", async () => {
      const imported = await importStatic('memo-email', { end_user: { id: 'eu-memo', email: 'alice@example.com' } });
      expect(imported.status).to.equal(201);
      const handle = env.client.workflow.getHandle(connectionWorkflowId('dev', 'fake', 'memo-email'));
      let memo: Record<string, unknown> | undefined;
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
        memo = (await handle.describe().catch(() => undefined))?.memo;
        if (memo && 'endUserDisplayName' in memo) break;
      }
      expect(memo).to.deep.include({ endUserDisplayName: 'eu-memo' });
      expect(JSON.stringify(memo)).to.not.contain('alice@example.com');
    });
  });

  describe('DELETE /connections/:id', () => {
    it('answers 200 {success:true}; the connection is gone and its workflow completes', async () => {
      const imported = await rig.importFromProvider('delete-1');
      expect(imported.status).to.equal(201);
      const response = await call('DELETE', '/connections/delete-1?provider_config_key=fake');
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal({ success: true });
      expect((await get('delete-1')).status).to.equal(404);
      expect(await (async () => (await call('GET', '/connections?connectionId=delete-1')).body.connections)()).to.deep.equal([]);
      const handle = env.client.workflow.getHandle(connectionWorkflowId('dev', 'fake', 'delete-1'));
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        handle.result().then(() => 'completed'),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('still running after 10 s'), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(outcome).to.equal('completed');
      // Its operation log stays readable and records the deletion.
      const logs = await call('GET', '/connections/delete-1/logs?provider_config_key=fake');
      expect(logs.status).to.equal(200);
      expect(logs.body.data[0]).to.include({ type: 'deletion' });
    });

    it('a connection imported again after its deletion is a new connection (new id) that reads and refreshes', async () => {
      const first = await rig.importFromProvider('delete-reimport');
      expect((await call('DELETE', '/connections/delete-reimport?provider_config_key=fake')).status).to.equal(200);
      await env.client.workflow.getHandle(connectionWorkflowId('dev', 'fake', 'delete-reimport')).result();
      const second = await rig.importFromProvider('delete-reimport');
      expect(second.status).to.equal(201);
      expect(second.body.id).to.not.equal(first.body.id);
      const refreshed = await get('delete-reimport', '&force_refresh=true');
      expect(refreshed.status).to.equal(200);
      expect(refreshed.body.id).to.equal(second.body.id);
      expect(rig.provider.isAccessTokenValid(accessTokenOf(refreshed.body))).to.equal(true);
    });

    it("a deleted connection's row holds no ciphertext: the soft-deleted row keeps its non-secret fields only", async () => {
      expect((await importStatic('delete-wipe', { metadata: { plan: 'pro' } })).status).to.equal(201);
      expect((await call('DELETE', '/connections/delete-wipe?provider_config_key=fake')).status).to.equal(200);
      const rows = (await rig.api.deps.db.query(
        `SELECT connection_id, credentials_encrypted, deleted_at, metadata FROM connection WHERE environment_id = $1 AND connection_id = 'delete-wipe'`,
        [environment.id],
      )) as { connection_id: string; credentials_encrypted: string | null; deleted_at: Date | null; metadata: unknown }[];
      expect(rows).to.have.length(1);
      expect(rows[0]!.credentials_encrypted).to.equal(null);
      expect(rows[0]!.deleted_at).to.be.instanceOf(Date);
      expect(rows[0]!.metadata).to.deep.equal({ plan: 'pro' });
    });

    it('answers 400 unknown_connection for an unknown connection', async () => {
      const response = await call('DELETE', '/connections/delete-unknown?provider_config_key=fake');
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('unknown_connection');
      expect(response.body.error.message).to.be.a('string');
    });
  });

  describe('metadata', () => {
    const metadataOf = async (id: string) => (await get(id)).body.metadata as unknown;

    it('POST /connections/metadata replaces the metadata and answers 201 echoing the body', async () => {
      await importStatic('meta-replace', { metadata: { old: true, keep: 'no' } });
      const body = { connection_id: 'meta-replace', provider_config_key: 'fake', metadata: { a: 1, b: { c: [1, 2] } } };
      const response = await call('POST', '/connections/metadata', body);
      expect(response.status).to.equal(201);
      expect(response.body).to.deep.equal(body);
      expect(await metadataOf('meta-replace')).to.deep.equal({ a: 1, b: { c: [1, 2] } });
    });

    it('PATCH /connections/metadata shallow-merges and answers 200 echoing the body', async () => {
      await importStatic('meta-merge', { metadata: { a: 1, b: { c: 1, d: 2 } } });
      const body = { connection_id: 'meta-merge', provider_config_key: 'fake', metadata: { b: { c: 9 }, e: 'new' } };
      const response = await call('PATCH', '/connections/metadata', body);
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal(body);
      expect(await metadataOf('meta-merge')).to.deep.equal({ a: 1, b: { c: 9 }, e: 'new' });
    });

    it('takes an array of connection ids (POST and PATCH, also under /connection/metadata)', async () => {
      await importStatic('meta-many-1', { metadata: { x: 1 } });
      await importStatic('meta-many-2');
      const replaced = await call('POST', '/connections/metadata', { connection_id: ['meta-many-1', 'meta-many-2'], provider_config_key: 'fake', metadata: { plan: 'free' } });
      expect(replaced.status).to.equal(201);
      expect(await metadataOf('meta-many-1')).to.deep.equal({ plan: 'free' });
      expect(await metadataOf('meta-many-2')).to.deep.equal({ plan: 'free' });
      const merged = await call('PATCH', '/connection/metadata', { connection_id: ['meta-many-1', 'meta-many-2'], provider_config_key: 'fake', metadata: { seats: 3 } });
      expect(merged.status).to.equal(200);
      expect(await metadataOf('meta-many-1')).to.deep.equal({ plan: 'free', seats: 3 });
      expect(await metadataOf('meta-many-2')).to.deep.equal({ plan: 'free', seats: 3 });
      const legacyPost = await call('POST', '/connection/metadata', { connection_id: 'meta-many-2', provider_config_key: 'fake', metadata: { only: 'this' } });
      expect(legacyPost.status).to.equal(201);
      expect(await metadataOf('meta-many-2')).to.deep.equal({ only: 'this' });
    });

    it('writes nothing to the known connections when any id is unknown (POST and PATCH answer 404)', async () => {
      await importStatic('meta-atomic', { metadata: { untouched: true } });
      for (const method of ['POST', 'PATCH']) {
        const response = await call(method, '/connections/metadata', { connection_id: ['meta-atomic', 'meta-no-such'], provider_config_key: 'fake', metadata: { written: method } });
        expect(response.status, method).to.equal(404);
        expect(await metadataOf('meta-atomic'), method).to.deep.equal({ untouched: true });
      }
    });

    it('answers 404 with error code unknown_connection when any id is unknown', async () => {
      await importStatic('meta-unknown-code');
      for (const method of ['POST', 'PATCH']) {
        const response = await call(method, '/connections/metadata', { connection_id: ['meta-unknown-code', 'meta-no-such'], provider_config_key: 'fake', metadata: { a: 1 } });
        expect(response.status, method).to.equal(404);
        // Product bug: ConnectionStore.writeMetadata passes NotFoundError's arguments in the wrong order.
        expect(response.body.error.code, `${method}: ${JSON.stringify(response.body)}`).to.equal('unknown_connection');
      }
    });
  });

  describe('GET /connections/:id/logs', () => {
    it('returns the operation log newest first (import and refresh lines), pages with limit and cursor, and holds no secret', async () => {
      const imported = await rig.importFromProvider('logs-1');
      expect(imported.status).to.equal(201);
      const refreshed = await get('logs-1', '&force_refresh=true');
      expect(refreshed.status).to.equal(200);

      const all = await call('GET', '/connections/logs-1/logs?provider_config_key=fake');
      expect(all.status).to.equal(200);
      const lines = all.body.data as Array<Record<string, unknown>>;
      expect(all.body).to.have.property('next_cursor', null);
      expect(lines.length).to.be.at.least(2);
      for (const line of lines) {
        expect(line).to.have.all.keys('id', 'type', 'level', 'message', 'context', 'created_at');
        expect(new Date(line.created_at as string).toISOString()).to.equal(line.created_at);
      }
      expect(lines[0]).to.include({ type: 'refresh', level: 'info' });
      expect(lines[lines.length - 1]).to.include({ type: 'import', level: 'info', message: 'connection created by import' });
      const ids = lines.map((l) => BigInt(l.id as string));
      expect([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).to.deep.equal(ids);
      const times = lines.map((l) => Date.parse(l.created_at as string));
      expect([...times].sort((a, b) => b - a)).to.deep.equal(times);

      const paged: unknown[] = [];
      const bodies: unknown[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 20; i++) {
        const page: HttpResult = await call('GET', `/connections/logs-1/logs?provider_config_key=fake&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).to.equal(200);
        bodies.push(page.body);
        expect(page.body.data).to.have.length(1);
        paged.push(page.body.data[0].id);
        cursor = page.body.next_cursor as string | null;
        if (cursor === null) break;
        expect(cursor).to.equal(page.body.data[0].id);
      }
      expect(paged).to.deep.equal(lines.map((l) => l.id));

      const everything = JSON.stringify([all.body, ...bodies]);
      expect(everything).to.not.match(/fake-at-|fake-rt-/);
      for (const secret of [...rig.provider.issued.accessTokens, ...rig.provider.issued.refreshTokens]) expect(everything).to.not.include(secret);
    });

    it('answers 404 for an unknown connection and 400 unknown_provider_config for an unknown key', async () => {
      const unknown = await call('GET', '/connections/logs-unknown/logs?provider_config_key=fake');
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.code).to.equal('not_found');
      const badKey = await call('GET', '/connections/logs-unknown/logs?provider_config_key=no-such-integration');
      expect(badKey.status).to.equal(400);
      expect(badKey.body.error.code).to.equal('unknown_provider_config');
    });
  });

  it('every connection route answers 401 missing_auth_header without Authorization', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/connections'],
      ['GET', '/connection'],
      ['POST', '/connections', { provider_config_key: 'fake', credentials: { type: 'OAUTH2', access_token: 'x' } }],
      ['POST', '/connection', { provider_config_key: 'fake', access_token: 'x' }],
      ['GET', '/connections/x?provider_config_key=fake'],
      ['GET', '/connection/x?provider_config_key=fake'],
      ['PATCH', '/connections/x?provider_config_key=fake', { tags: { a: 'b' } }],
      ['PATCH', '/connection/x?provider_config_key=fake', { tags: { a: 'b' } }],
      ['DELETE', '/connections/x?provider_config_key=fake'],
      ['DELETE', '/connection/x?provider_config_key=fake'],
      ['POST', '/connections/metadata', { connection_id: 'x', provider_config_key: 'fake', metadata: {} }],
      ['PATCH', '/connections/metadata', { connection_id: 'x', provider_config_key: 'fake', metadata: {} }],
      ['POST', '/connection/metadata', { connection_id: 'x', provider_config_key: 'fake', metadata: {} }],
      ['PATCH', '/connection/metadata', { connection_id: 'x', provider_config_key: 'fake', metadata: {} }],
      ['GET', '/connections/x/logs?provider_config_key=fake'],
      ['GET', '/connection/x/logs?provider_config_key=fake'],
    ];
    for (const [method, path, body] of routes) {
      const response = await http(rig.api.url, method, path, { body });
      expect(response.status, `${method} ${path}`).to.equal(401);
      expect(response.body.error.code, `${method} ${path}`).to.equal('missing_auth_header');
    }
  });
});

import { expect } from 'chai';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

describe('integrations API (API.md §3)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api?.close());

  const call = (method: string, path: string, body?: unknown) => http(api.url, method, path, { token: api.secretKey, body });

  it('creates an integration (200) with the provider default scopes and returns no secret unless asked', async () => {
    const res = await call('POST', '/integrations', {
      provider: 'github', unique_key: 'github-prod', display_name: 'GitHub (prod)',
      credentials: { type: 'OAUTH2', client_id: 'cid-1', client_secret: 'very-secret-1' },
    });
    expect(res.status).to.equal(200);
    const { created_at, updated_at, ...rest } = res.body.data;
    expect(rest).to.deep.equal({
      unique_key: 'github-prod', provider: 'github', display_name: 'GitHub (prod)', logo: `${api.url}/logos/github.svg`,
      forward_webhooks: true, auth_mode: 'OAUTH2',
    });
    expect(new Date(created_at).toISOString()).to.equal(created_at);
    expect(new Date(updated_at).toISOString()).to.equal(updated_at);
    expect(JSON.stringify(res.body)).to.not.contain('very-secret-1');

    const withCreds = await call('GET', '/integrations/github-prod?include=credentials');
    expect(withCreds.body.data.credentials).to.deep.equal({ type: 'OAUTH2', client_id: 'cid-1', client_secret: 'very-secret-1', scopes: 'read:user' });
  });

  it('stores the client secret encrypted, never in the clear', async () => {
    const [row] = await api.deps.db.query(`SELECT client_secret_encrypted FROM integration WHERE unique_key = 'github-prod'`);
    expect(row.client_secret_encrypted).to.match(/^v2:test:/).and.not.contain('very-secret-1');
  });

  it('GET ?include=credentials sends Cache-Control: no-store, so no browser or proxy cache keeps the client secret', async () => {
    const withCreds = await call('GET', '/integrations/github-prod?include=credentials');
    expect(withCreds.status).to.equal(200);
    expect(withCreds.body.data.credentials.client_secret).to.equal('very-secret-1');
    expect(withCreds.headers.get('cache-control')).to.equal('no-store');
  });

  it('stores explicit comma-separated scopes', async () => {
    await call('POST', '/integrations', { provider: 'slack', unique_key: 'slack', credentials: { type: 'OAUTH2', client_id: 'a', client_secret: 'b', scopes: 'chat:write, users:read' } });
    const res = await call('GET', '/integrations/slack?include=credentials,webhook');
    expect(res.body.data.credentials.scopes).to.equal('chat:write,users:read');
    expect(res.body.data).to.have.property('webhook_url', null);
  });

  it('refuses an unknown provider with 400 invalid_body at path ["provider"], storing nothing', async () => {
    const res = await call('POST', '/integrations', { provider: 'no-such-provider', unique_key: 'x1' });
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('invalid_body');
    expect(res.body.error.errors).to.have.length(1);
    expect(res.body.error.errors[0].path).to.deep.equal(['provider']);
    expect((await call('GET', '/integrations/x1')).status).to.equal(404);
  });

  it('refuses a duplicate unique_key with 400 invalid_body at path ["uniqueKey"]', async () => {
    const res = await call('POST', '/integrations', { provider: 'gitlab', unique_key: 'github-prod' });
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('invalid_body');
    expect(res.body.error.errors[0].path).to.deep.equal(['uniqueKey']);
    expect((await call('GET', '/integrations/github-prod')).body.data.provider).to.equal('github');
  });

  it('refuses a bad unique_key, a missing provider, unknown fields and a credentials type that does not match the provider', async () => {
    const cases: Array<[unknown, (string | number)[]]> = [
      [{ provider: 'github', unique_key: 'bad/key' }, ['unique_key']],
      [{ provider: 'github', unique_key: 'k'.repeat(256) }, ['unique_key']],
      [{ unique_key: 'ok' }, ['provider']],
      [{ provider: 'github', unique_key: 'ok', colour: 'red' }, []],
      [{ provider: 'github', unique_key: 'ok', credentials: { type: 'OAUTH1', client_id: 'a', client_secret: 'b' } }, ['credentials', 'type']],
      [{ provider: 'github', unique_key: 'ok', credentials: { type: 'OAUTH2', client_id: '' , client_secret: 'b' } }, ['credentials', 'client_id']],
    ];
    for (const [body, path] of cases) {
      const res = await call('POST', '/integrations', body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.error.code).to.equal('invalid_body');
      expect(res.body.error.errors.map((e: { path: unknown }) => e.path), JSON.stringify(body)).to.deep.include(path);
    }
    expect((await call('GET', '/integrations/ok')).status).to.equal(404);
  });

  it('lists the environment integrations', async () => {
    const res = await call('GET', '/integrations');
    expect(res.status).to.equal(200);
    expect(res.body.data.map((i: { unique_key: string }) => i.unique_key)).to.have.members(['github-prod', 'slack']);
    expect(res.body.data.every((i: object) => !('credentials' in i))).to.equal(true);
  });

  it('answers 404 not_found for an unknown integration on GET, PATCH and DELETE', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await call(method, '/integrations/nope', method === 'PATCH' ? { display_name: 'x' } : undefined);
      expect(res.status, method).to.equal(404);
      expect(res.body.error.code, method).to.equal('not_found');
    }
  });

  it('refuses include values it does not know with 400 invalid_query_params', async () => {
    const res = await call('GET', '/integrations/slack?include=secrets');
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('invalid_query_params');
  });

  it('updates display name, webhooks flag, credentials, and renames when there are no connections', async () => {
    const res = await call('PATCH', '/integrations/slack', {
      unique_key: 'slack-renamed', display_name: 'Slack', forward_webhooks: false,
      credentials: { type: 'OAUTH2', client_id: 'a2', client_secret: 'b2', scopes: 'chat:write' },
    });
    expect(res.status).to.equal(200);
    expect(res.body.data).to.include({ unique_key: 'slack-renamed', display_name: 'Slack', forward_webhooks: false });
    expect((await call('GET', '/integrations/slack')).status).to.equal(404);
    const creds = await call('GET', '/integrations/slack-renamed?include=credentials');
    expect(creds.body.data.credentials).to.deep.equal({ type: 'OAUTH2', client_id: 'a2', client_secret: 'b2', scopes: 'chat:write' });
  });

  it('refuses to rename onto an existing key', async () => {
    const res = await call('PATCH', '/integrations/slack-renamed', { unique_key: 'github-prod' });
    expect(res.status).to.equal(400);
    expect(res.body.error.errors[0].path).to.deep.equal(['uniqueKey']);
  });

  it('refuses to rename an integration that has live connections (400) and changes nothing', async () => {
    const [integ] = await api.deps.db.query(`SELECT id, environment_id FROM integration WHERE unique_key = 'github-prod'`);
    await api.deps.db.query(
      `INSERT INTO connection (environment_id, integration_id, connection_id, credentials_encrypted) VALUES ($1, $2, 'c1', 'k:iv:ct:tag')`,
      [integ.environment_id, integ.id],
    );
    const res = await call('PATCH', '/integrations/github-prod', { unique_key: 'github-new' });
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('invalid_body');
    expect(res.body.error.errors[0].path).to.deep.equal(['unique_key']);
    expect((await call('GET', '/integrations/github-prod')).status).to.equal(200);
  });

  it('deletes an integration: 200 {"success":true}, then 404', async () => {
    const res = await call('DELETE', '/integrations/slack-renamed');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ success: true });
    expect((await call('GET', '/integrations/slack-renamed')).status).to.equal(404);
  });

  it('rejects every integration route without a key', async () => {
    for (const [method, path] of [['GET', '/integrations'], ['GET', '/integrations/github-prod'], ['POST', '/integrations'], ['PATCH', '/integrations/github-prod'], ['DELETE', '/integrations/github-prod']]) {
      const res = await http(api.url, method!, path!);
      expect(res.status, `${method} ${path}`).to.equal(401);
      expect(res.body.error.code).to.equal('missing_auth_header');
    }
  });
});

describe('a moved ciphertext fails (production mode, issue 10 item 4)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({
      env: { DATABASE_URL: 'postgres://custodian@127.0.0.1:1/unused', TEMPORAL_ADDRESS: '127.0.0.1:1', ENCRYPTION_KEYS: `test=${Buffer.alloc(32, 7).toString('base64')}` },
    });
  });
  after(async () => api?.close());

  const call = (method: string, path: string, body?: unknown) => http(api.url, method, path, { token: api.secretKey, body });

  it("the environment's encrypted secret key pasted into an integration's client_secret_encrypted is not served as its client secret by ?include=credentials", async () => {
    expect(api.deps.config.mode).to.equal('production');
    const created = await call('POST', '/integrations', { provider: 'github', unique_key: 'gh-moved', credentials: { type: 'OAUTH2', client_id: 'cid', client_secret: 'own-client-secret' } });
    expect(created.status).to.equal(200);
    // Someone with write access to the database copies the secret key's ciphertext into the integration row.
    await api.deps.db.query(
      `UPDATE integration SET client_secret_encrypted = (SELECT secret_key_encrypted FROM environment WHERE name = 'dev') WHERE unique_key = 'gh-moved'`,
    );
    const res = await call('GET', '/integrations/gh-moved?include=credentials');
    expect(JSON.stringify(res.body)).to.not.contain(api.secretKey).and.not.contain('own-client-secret');
    expect(res.status).to.equal(500);
    expect(res.body.error.code).to.equal('server_error');
    expect(res.body.error.payload.error_id).to.be.a('string');
    // Without credentials the integration still answers: only the moved value is refused.
    expect((await call('GET', '/integrations/gh-moved')).status).to.equal(200);
  });

  it("an integration's client secret copied into another integration's row fails too", async () => {
    await call('POST', '/integrations', { provider: 'github', unique_key: 'gh-a', credentials: { type: 'OAUTH2', client_id: 'a', client_secret: 'secret-of-a' } });
    await call('POST', '/integrations', { provider: 'github', unique_key: 'gh-b', credentials: { type: 'OAUTH2', client_id: 'b', client_secret: 'secret-of-b' } });
    await api.deps.db.query(`UPDATE integration SET client_secret_encrypted = (SELECT client_secret_encrypted FROM integration WHERE unique_key = 'gh-a') WHERE unique_key = 'gh-b'`);
    const res = await call('GET', '/integrations/gh-b?include=credentials');
    expect(res.status).to.equal(500);
    expect(JSON.stringify(res.body)).to.not.contain('secret-of-a');
    expect((await call('GET', '/integrations/gh-a?include=credentials')).body.data.credentials.client_secret).to.equal('secret-of-a');
  });
});

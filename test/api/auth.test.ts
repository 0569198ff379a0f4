import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { generateSessionToken } from '../../src/api/auth/connect-session-token';
import { ConnectSessionEntity } from '../../src/db/entities';
import { hashToken } from '../../src/environments/secret-key';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

describe('API authentication (API.md §0)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api?.close());

  const call = (path: string, options: Parameters<typeof http>[3] = {}) => http(api.url, 'GET', path, options);

  async function createSession(options: { expiresInMs: number; environmentKey?: string; allowed?: string[] | null }): Promise<string> {
    const token = generateSessionToken();
    const env = await api.deps.environments.findBySecretKey(options.environmentKey ?? api.secretKey);
    await api.deps.db.getRepository(ConnectSessionEntity).save({
      tokenHash: hashToken(token), environmentId: env!.id, tags: {}, allowedIntegrations: options.allowed ?? null,
      expiresAt: new Date(Date.now() + options.expiresInMs),
    });
    return token;
  }

  it('answers 401 missing_auth_header without an Authorization header', async () => {
    const res = await call('/integrations');
    expect(res.status).to.equal(401);
    expect(res.body.error.code).to.equal('missing_auth_header');
    expect(res.body.error.message).to.be.a('string').and.not.equal('');
  });

  it('answers 401 malformed_auth_header for a non-Bearer scheme or an empty bearer', async () => {
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'token']) {
      const res = await call('/integrations', { headers: { authorization: header } });
      expect(res.status, header).to.equal(401);
      expect(res.body, header).to.deep.equal({ error: { code: 'malformed_auth_header', message: res.body.error.message } });
    }
  });

  it('answers 401 invalid_secret_key_format for a key that is not a UUID v4', async () => {
    for (const key of ['not-a-key', '12345678-1234-1234-1234-123456789012', `${randomUUID()}x`]) {
      const res = await call('/environment', { token: key });
      expect(res.status, key).to.equal(401);
      expect(res.body.error.code, key).to.equal('invalid_secret_key_format');
    }
  });

  it('answers 401 unknown_account for a well-formed key no environment has', async () => {
    const res = await call('/environment', { token: randomUUID() });
    expect(res.status).to.equal(401);
    expect(res.body.error.code).to.equal('unknown_account');
  });

  it('accepts the environment secret key in any letter case', async () => {
    const res = await call('/environment', { token: api.secretKey.toUpperCase() });
    expect(res.status).to.equal(200);
    expect(res.body.data.name).to.equal('dev');
  });

  it('answers 401 invalid_connect_session_token_format for a malformed session token', async () => {
    const res = await call('/providers', { token: 'nango_connect_session_xyz' });
    expect(res.status).to.equal(401);
    expect(res.body.error.code).to.equal('invalid_connect_session_token_format');
  });

  it('answers 401 unknown_connect_session_token for an unknown or expired session token, in the header or the query', async () => {
    const unknown = generateSessionToken();
    const expired = await createSession({ expiresInMs: -1000 });
    for (const [path, token] of [['/providers', unknown], ['/providers', expired], [`/providers?connect_session_token=${expired}`, undefined]] as const) {
      const res = await call(path, { token });
      expect(res.status, path).to.equal(401);
      expect(res.body.error.code, path).to.equal('unknown_connect_session_token');
    }
  });

  it('lets a live session token list providers and only its allowed integrations, from the header or the query', async () => {
    for (const key of ['gh-a', 'gh-b']) {
      await http(api.url, 'POST', '/integrations', { token: api.secretKey, body: { provider: 'github', unique_key: key } });
    }
    const token = await createSession({ expiresInMs: 60_000, allowed: ['gh-b'] });
    const providers = await call('/providers?search=github', { token });
    expect(providers.status).to.equal(200);
    const listed = await call(`/integrations?connect_session_token=${token}`);
    expect(listed.status).to.equal(200);
    expect(listed.body.data.map((i: { unique_key: string }) => i.unique_key)).to.deep.equal(['gh-b']);
  });

  it('never tries a session token as a secret key on backend-only routes', async () => {
    const token = await createSession({ expiresInMs: 60_000 });
    for (const path of ['/environment', '/integrations/gh-a']) {
      const res = await call(path, { token });
      expect(res.status, path).to.equal(401);
      expect(res.body.error.code, path).to.equal('invalid_secret_key_format');
    }
  });

  it("never shows one environment's integrations to another environment's key", async () => {
    const otherKey = await api.createEnvironment('other');
    await http(api.url, 'POST', '/integrations', { token: otherKey, body: { provider: 'slack', unique_key: 'only-other' } });
    const mine = await call('/integrations', { token: api.secretKey });
    expect(mine.body.data.map((i: { unique_key: string }) => i.unique_key)).to.not.include('only-other');
    const direct = await call('/integrations/only-other', { token: api.secretKey });
    expect(direct.status).to.equal(404);
    const otherCannotSeeMine = await call('/integrations/gh-a', { token: otherKey });
    expect(otherCannotSeeMine.status).to.equal(404);
    const del = await http(api.url, 'DELETE', '/integrations/only-other', { token: api.secretKey });
    expect(del.status).to.equal(404);
    expect((await call('/integrations/only-other', { token: otherKey })).status).to.equal(200);
  });
});

import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

// A GitHub App key as GitHub hands it out (PKCS#1 PEM).
const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const OTHER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
// A line from the middle of the key: what a JSON-escaped copy of it would still contain.
const keyLine = (pem: string): string => pem.split('\n')[5]!;

describe('integrations API with GitHub App credentials (APP, CUSTOM)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api?.close());

  const call = (method: string, path: string, body?: unknown) => http(api.url, method, path, { token: api.secretKey, body });
  /** The integration's mode-specific settings as a strategy receives them (secrets decrypted). */
  async function decryptedCustom(uniqueKey: string): Promise<Readonly<Record<string, string>>> {
    const [row] = await api.deps.db.query(`SELECT environment_id FROM integration WHERE unique_key = $1`, [uniqueKey]);
    const integration = await api.deps.integrations.find(row.environment_id, uniqueKey);
    return api.deps.integrations.clientOf(integration!).custom;
  }
  const appCredentials = { type: 'APP', app_id: '123456', app_link: 'https://github.com/apps/custodian-test', private_key: PRIVATE_KEY };

  it('creates a github-app integration from {type: APP, app_id, app_link, private_key}, the key stored encrypted and never returned', async () => {
    const res = await call('POST', '/integrations', { provider: 'github-app', unique_key: 'gh-app', credentials: appCredentials });
    expect(res.status).to.equal(200);
    expect(res.body.data).to.include({ unique_key: 'gh-app', provider: 'github-app', auth_mode: 'APP' });
    const shown = await call('GET', '/integrations/gh-app?include=credentials');
    expect(shown.body.data.credentials).to.deep.equal({ type: 'APP', app_id: '123456', app_link: 'https://github.com/apps/custodian-test', private_key: null });
    for (const body of [res.body, shown.body, (await call('GET', '/integrations')).body]) expect(JSON.stringify(body)).to.not.contain(keyLine(PRIVATE_KEY));
    const [row] = await api.deps.db.query(`SELECT client_id, client_secret_encrypted, custom, custom_secrets_encrypted FROM integration WHERE unique_key = 'gh-app'`);
    expect(row.custom).to.deep.equal({ app_id: '123456', app_link: 'https://github.com/apps/custodian-test' });
    expect(row.client_secret_encrypted).to.equal(null);
    expect(row.custom_secrets_encrypted).to.be.a('string').and.not.contain(keyLine(PRIVATE_KEY));
    expect(await decryptedCustom('gh-app')).to.deep.equal({ app_id: '123456', app_link: 'https://github.com/apps/custodian-test', private_key: PRIVATE_KEY });
  });

  it('replaces the app with PATCH, the new key stored encrypted', async () => {
    const res = await call('PATCH', '/integrations/gh-app', { credentials: { ...appCredentials, app_id: '654321', private_key: OTHER_KEY } });
    expect(res.status).to.equal(200);
    expect(JSON.stringify(res.body)).to.not.contain(keyLine(OTHER_KEY));
    expect(await decryptedCustom('gh-app')).to.include({ app_id: '654321', private_key: OTHER_KEY });
  });

  it('creates a github-app-oauth integration with the OAuth client and the app', async () => {
    const credentials = { ...appCredentials, type: 'CUSTOM', client_id: 'Iv1.abc', client_secret: 'oauth-secret-1' };
    const res = await call('POST', '/integrations', { provider: 'github-app-oauth', unique_key: 'gh-app-oauth', credentials });
    expect(res.status).to.equal(200);
    const shown = await call('GET', '/integrations/gh-app-oauth?include=credentials');
    expect(shown.body.data.credentials).to.deep.equal({ type: 'CUSTOM', client_id: 'Iv1.abc', client_secret: 'oauth-secret-1', app_id: '123456', app_link: 'https://github.com/apps/custodian-test', private_key: null });
  });

  it('refuses a private key that cannot sign, an app link that is not a URL, OAuth credentials for an APP provider, and APP credentials for an OAuth one, storing nothing', async () => {
    const cases: Array<[unknown, (string | number)[]]> = [
      [{ provider: 'github-app', unique_key: 'bad-1', credentials: { ...appCredentials, private_key: '-----BEGIN RSA PRIVATE KEY-----\ntest\n-----END RSA PRIVATE KEY-----' } }, ['credentials', 'private_key']],
      [{ provider: 'github-app', unique_key: 'bad-2', credentials: { ...appCredentials, app_link: 'github.com/apps/x' } }, ['credentials', 'app_link']],
      [{ provider: 'github-app', unique_key: 'bad-3', credentials: { ...appCredentials, extra: 1 } }, ['credentials']],
      [{ provider: 'github-app', unique_key: 'bad-4', credentials: { type: 'OAUTH2', client_id: 'a', client_secret: 'b' } }, ['credentials', 'type']],
      [{ provider: 'github', unique_key: 'bad-5', credentials: appCredentials }, ['credentials', 'type']],
      [{ provider: 'github-app-oauth', unique_key: 'bad-6', credentials: { ...appCredentials, type: 'CUSTOM' } }, ['credentials', 'client_id']],
    ];
    for (const [body, path] of cases) {
      const res = await call('POST', '/integrations', body);
      expect(res.status, JSON.stringify(path)).to.equal(400);
      expect(res.body.error.code).to.equal('invalid_body');
      expect(res.body.error.errors.map((e: { path: unknown }) => e.path), JSON.stringify(path)).to.deep.include(path);
      expect(JSON.stringify(res.body)).to.not.contain(keyLine(PRIVATE_KEY));
    }
    const [{ count }] = await api.deps.db.query(`SELECT count(*)::int AS count FROM integration WHERE unique_key LIKE 'bad-%'`);
    expect(count).to.equal(0);
  });
});

import { Nango } from '@nangohq/node';
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { startTestApi, type TestApi } from '../support/api-server';

// A GitHub App key as GitHub hands it out (PKCS#1 PEM), which is what Nango's schema asks for.
const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

/** The official SDK creating GitHub App integrations on Custodian (Nango's `ApiPublicIntegrationCredentials` APP / CUSTOM). */
describe('@nangohq/node against Custodian: GitHub App integrations', () => {
  let api: TestApi;
  let nango: Nango;
  before(async () => {
    api = await startTestApi();
    nango = new Nango({ host: api.url, secretKey: api.secretKey });
  });
  after(async () => api?.close());

  it('createIntegration with {type: APP, app_id, app_link, private_key}; getIntegration shows the app without its key', async () => {
    const created = await nango.createIntegration({
      provider: 'github-app',
      unique_key: 'github-app',
      credentials: { type: 'APP', app_id: '123456', app_link: 'https://github.com/apps/acme', private_key: PRIVATE_KEY },
    });
    expect(created.data).to.include({ unique_key: 'github-app', provider: 'github-app' });
    const fetched = await nango.getIntegration({ uniqueKey: 'github-app' }, { include: ['credentials'] });
    expect(fetched.data.credentials).to.deep.equal({ type: 'APP', app_id: '123456', app_link: 'https://github.com/apps/acme', private_key: null });
  });

  it('createIntegration with {type: CUSTOM, client_id, client_secret, app_id, app_link, private_key}', async () => {
    await nango.createIntegration({
      provider: 'github-app-oauth',
      unique_key: 'github-app-oauth',
      credentials: { type: 'CUSTOM', client_id: 'Iv1.acme', client_secret: 'acme-secret', app_id: '123456', app_link: 'https://github.com/apps/acme', private_key: PRIVATE_KEY },
    });
    const fetched = await nango.getIntegration({ uniqueKey: 'github-app-oauth' }, { include: ['credentials'] });
    expect(fetched.data.credentials).to.deep.include({ type: 'CUSTOM', client_id: 'Iv1.acme', app_id: '123456', private_key: null });
  });
});

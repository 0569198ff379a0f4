import { Nango } from '@nangohq/node';
import { expect } from 'chai';
import { startTestApi, type TestApi } from '../support/api-server';

/** The official SDK pointed at Custodian: integrations and providers (API.md §3). */
describe('@nangohq/node against Custodian: integrations and providers', () => {
  let api: TestApi;
  let nango: Nango;
  before(async () => {
    api = await startTestApi();
    nango = new Nango({ host: api.url, secretKey: api.secretKey });
  });
  after(async () => api?.close());

  it('createIntegration then getIntegration with credentials', async () => {
    const created = await nango.createIntegration({
      provider: 'hubspot', unique_key: 'hubspot-crm', display_name: 'HubSpot CRM',
      credentials: { type: 'OAUTH2', client_id: 'hs-client', client_secret: 'hs-secret', scopes: 'crm.objects.contacts.read,oauth' },
    });
    expect(created.data).to.include({ unique_key: 'hubspot-crm', provider: 'hubspot', display_name: 'HubSpot CRM' });
    const fetched = await nango.getIntegration({ uniqueKey: 'hubspot-crm' }, { include: ['credentials'] });
    expect(fetched.data.credentials).to.deep.include({ type: 'OAUTH2', client_id: 'hs-client', client_secret: 'hs-secret', scopes: 'crm.objects.contacts.read,oauth' });
  });

  it('listIntegrations returns them as configs', async () => {
    await nango.createIntegration({ provider: 'notion', unique_key: 'notion' });
    const listed = await nango.listIntegrations();
    expect(listed.configs.map((c) => c.unique_key)).to.have.members(['hubspot-crm', 'notion']);
  });

  it('updateIntegration renames and changes the display name', async () => {
    const updated = await nango.updateIntegration({ uniqueKey: 'notion' }, { unique_key: 'notion-docs', display_name: 'Docs' });
    expect(updated.data).to.include({ unique_key: 'notion-docs', display_name: 'Docs' });
  });

  it('deleteIntegration removes it; getIntegration then rejects with 404 not_found', async () => {
    const deleted = await nango.deleteIntegration('notion-docs');
    expect(deleted.status).to.equal(200);
    expect(deleted.data).to.deep.equal({ success: true });
    const failure = await nango.getIntegration({ uniqueKey: 'notion-docs' }).then(() => undefined, (error: { response?: { status: number; data: unknown } }) => error);
    expect(failure?.response?.status).to.equal(404);
    expect(failure?.response?.data).to.deep.include({ error: { code: 'not_found', message: 'Integration "notion-docs" does not exist' } });
  });

  it('createIntegration with an unknown provider rejects with 400 invalid_body', async () => {
    const failure = await nango.createIntegration({ provider: 'nope', unique_key: 'x' }).then(() => undefined, (error: { response?: { status: number; data: { error: { code: string } } } }) => error);
    expect(failure?.response?.status).to.equal(400);
    expect(failure?.response?.data.error.code).to.equal('invalid_body');
  });

  it('listProviders (with search) and getProvider read the catalog', async () => {
    const all = await nango.listProviders({});
    expect(all.data.length).to.equal(api.deps.catalog.size);
    const searched = await nango.listProviders({ search: 'zendesk' });
    expect(searched.data.map((p) => p.name)).to.deep.equal(['zendesk', 'zendesk-sell']);
    const provider = await nango.getProvider({ provider: 'stripe-api-key' });
    expect(provider.data).to.include({ name: 'stripe-api-key', auth_mode: 'API_KEY' });
  });
});

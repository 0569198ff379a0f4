import { expect } from 'chai';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';
import { IsNull } from 'typeorm';
import { ConnectionEntity } from '../../src/db/entities';

describe('GET /connections/:id hot path', () => {
  let api: TestApi;

  before(async () => {
    // No Temporal client at all: whatever this API answers, it answered from PostgreSQL alone.
    api = await startTestApi();
  });
  after(() => api?.close());

  async function seed(connectionId: string, expiresInMs: number) {
    const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
    const integration =
      (await api.deps.integrations.find(environment.id, 'gh')) ??
      (await api.deps.integrations.create(environment.id, { uniqueKey: 'gh', provider: 'github', displayName: null, clientId: 'id', clientSecret: 's3cr3t-client', scopes: [], forwardWebhooks: true }));
    const expiresAt = new Date(Date.now() + expiresInMs);
    await api.deps.connections.importConnection({
      environmentId: environment.id,
      integrationId: integration.id,
      connectionId,
      credentials: { type: 'OAUTH2', access_token: `token-${connectionId}`, refresh_token: 'refresh-hot-path-1', expires_at: expiresAt.toISOString(), raw: { refresh_token: 'refresh-hot-path-1' } },
      expiresAt,
    });
  }

  it('serves a token valid beyond the refresh margin from PostgreSQL without Temporal', async () => {
    await seed('fresh', 60 * 60_000);
    const response = await http(api.url, 'GET', '/connections/fresh?provider_config_key=gh', { token: api.secretKey });
    expect(response.status).to.equal(200);
    expect(response.body.credentials).to.deep.include({ type: 'OAUTH2', access_token: 'token-fresh' });
    expect(JSON.stringify(response.body)).to.not.include('refresh-hot-path-1');
    expect(response.body.last_fetched_at).to.be.a('string');
  });

  it('serves a token inside the refresh margin but still valid when Temporal cannot be asked', async () => {
    await seed('due', 5 * 60_000);
    const response = await http(api.url, 'GET', '/connections/due?provider_config_key=gh', { token: api.secretKey });
    expect(response.status).to.equal(200);
    expect(response.body.credentials.access_token).to.equal('token-due');
  });

  it('never serves an expired token: 503 temporal_unavailable with Retry-After when the refresh cannot be asked for, and force_refresh too', async () => {
    await seed('expired', -60_000);
    const response = await http(api.url, 'GET', '/connections/expired?provider_config_key=gh', { token: api.secretKey });
    expect(response.status).to.equal(503);
    expect(response.headers.get('retry-after')).to.equal('5');
    expect(response.body).to.deep.equal({ error: { code: 'temporal_unavailable', message: 'Temporal is unavailable; retry later' } });
    const forced = await http(api.url, 'GET', '/connections/due?provider_config_key=gh&force_refresh=true', { token: api.secretKey });
    expect(forced.status).to.equal(503);
    expect(forced.body.error.code).to.equal('temporal_unavailable');
  });

  it("reads the row with plain SQL into exactly what TypeORM would give: every column of the entity, same values and types", async () => {
    await seed('mapped', 60 * 60_000);
    const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
    const integration = (await api.deps.integrations.find(environment.id, 'gh'))!;
    await api.deps.db.getRepository(ConnectionEntity).update({ connectionId: 'mapped' }, { metadata: { seats: 3 }, tags: { plan: 'pro' }, endUser: { id: 'u-1' }, lastFetchedAt: new Date(), lastRefreshFailureReason: 'x' });
    const plain = await api.deps.connections.find(environment.id, integration.id, 'mapped');
    const typeorm = await api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ environmentId: environment.id, integrationId: integration.id, connectionId: 'mapped', deletedAt: IsNull() });
    const columns = api.deps.db.getMetadata(ConnectionEntity).columns.map((column) => column.propertyName);
    expect(Object.keys(plain!).sort(), 'a column added to the entity must be added to the statement').to.deep.equal([...columns].sort());
    expect(plain).to.be.instanceOf(ConnectionEntity);
    expect(plain).to.deep.equal(typeorm);
  });
});

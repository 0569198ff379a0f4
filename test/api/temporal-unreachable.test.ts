import { expect } from 'chai';
import { Client, Connection } from '@temporalio/client';
import { STILL_VALID_REFRESH_WAIT_MS } from '../../src/connections/connection-service';
import { startTestApi, type TestApi } from '../support/api-server';
import { freePort } from '../support/free-port';
import { http } from '../support/http';

describe('Temporal unreachable (a client whose frontend address nothing listens on)', function () {
  this.timeout(90_000);
  let api: TestApi;
  let connection: Connection;

  before(async () => {
    connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    api = await startTestApi({ temporal: new Client({ connection }) });
  });
  after(async () => {
    await api?.close();
    await connection?.close();
  });

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
      credentials: { type: 'OAUTH2', access_token: `token-${connectionId}`, refresh_token: 'refresh-unreachable-1', expires_at: expiresAt.toISOString(), raw: {} },
      expiresAt,
    });
  }

  it('serves a token inside the refresh margin but still valid, after at most the bounded wait', async () => {
    await seed('due', 5 * 60_000);
    const started = Date.now();
    const response = await http(api.url, 'GET', '/connections/due?provider_config_key=gh', { token: api.secretKey });
    const elapsed = Date.now() - started;
    console.log(`      served the still-valid token after ${elapsed} ms`);
    expect(response.status).to.equal(200);
    expect(response.body.credentials.access_token).to.equal('token-due');
    expect(elapsed).to.be.at.most(STILL_VALID_REFRESH_WAIT_MS + 5_000);
  });

  it('answers an expired token 503 temporal_unavailable with Retry-After, never the token', async () => {
    await seed('expired', -60_000);
    const started = Date.now();
    const response = await http(api.url, 'GET', '/connections/expired?provider_config_key=gh', { token: api.secretKey });
    console.log(`      answered after ${Date.now() - started} ms (the client's gRPC retries)`);
    expect(response.status).to.equal(503);
    expect(response.headers.get('retry-after')).to.equal('5');
    expect(response.body).to.deep.equal({ error: { code: 'temporal_unavailable', message: 'Temporal is unavailable; retry later' } });
  });

  it('reports Temporal unreachable on /health/ready in bounded time (its own 3 s Temporal deadline, not the client’s ~20 s of retries)', async () => {
    const started = Date.now();
    const ready = await http(api.url, 'GET', '/health/ready');
    expect(ready.status).to.equal(503);
    expect(ready.body.error.code).to.equal('not_ready');
    expect(ready.body.error.payload.checks).to.deep.equal({ database: 'ok', temporal: 'unreachable' });
    expect(Date.now() - started).to.be.at.most(10_000);
  });
});

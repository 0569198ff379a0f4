import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { startTestApi, type TestApi } from '../support/api-server';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { fakeProviderEntry } from '../support/fake-provider';
import { mountProviderApi } from '../support/fake-modes/provider-api';
import { http } from '../support/http';
import { fakeIntegration, obtainTokens } from '../support/lifecycle';
import { createDevServerEnv } from '../support/temporal-env';

/** The proxy's own rate budgets (issue 12 item 5): counted in PostgreSQL, so they hold across API instances. */
describe('proxy: proactive rate limits across two API instances (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let second: TestApi;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      configEnv: { ALLOW_PRIVATE_NETWORK_TARGETS: 'true' },
      extraProviders: (provider) => ({
        // Refilled so slowly (one call an hour) that the counts below are exact.
        'fake-limited': fakeProviderEntry(provider, { proxy: { base_url: provider.url, rate_limit: { per_connection: '1/hour', per_integration: '1/hour', burst: 15 } } }),
        'fake-queued': fakeProviderEntry(provider, { proxy: { base_url: provider.url, rate_limit: { per_connection: '4/sec', burst: 1 } } }),
      }),
    });
    mountProviderApi(rig.provider);
    second = await startTestApi({ databaseUrl: rig.api.databaseUrl, encryptionKey: rig.api.encryptionKey, temporal: env.client, catalog: rig.api.deps.catalog, env: { ALLOW_PRIVATE_NETWORK_TARGETS: 'true', TEMPORAL_TASK_QUEUE: rig.api.deps.config.temporal.taskQueue } });
    const environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    for (const [uniqueKey, provider] of [['limited', 'fake-limited'], ['queued', 'fake-queued']] as const) {
      await rig.api.deps.integrations.create(environment.id, { ...fakeIntegration(rig.provider), uniqueKey, provider });
    }
    for (const [key, connectionId] of [['limited', 'a'], ['limited', 'b'], ['limited', 'c'], ['queued', 'q']]) {
      const tokens = await obtainTokens(rig.provider);
      const imported = await http(rig.api.url, 'POST', '/connections', {
        token: rig.api.secretKey,
        body: { provider_config_key: key, connection_id: connectionId, credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3600_000).toISOString() } },
      });
      expect(imported.status).to.equal(201);
    }
  });
  after(async () => {
    await second?.close();
    await rig?.close();
    await env?.teardown();
  });

  const call = (api: TestApi, key: string, connectionId: string) =>
    fetch(`${api.url}/proxy/api/echo`, { headers: { authorization: `Bearer ${rig.api.secretKey}`, 'provider-config-key': key, 'connection-id': connectionId } }).then(async (response) => ({
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as { error?: { code: string } },
    }));

  it('a connection budget (burst 15) admits exactly 15 of 30 concurrent calls spread over both instances; the rest get 429 before reaching the provider', async () => {
    const echoCallsBefore = rig.provider.calls.filter((c) => c.path === '/api/echo').length;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => call(i % 2 === 0 ? rig.api : second, 'limited', 'a')));
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok).to.have.length(15);
    expect(limited).to.have.length(15);
    for (const answer of limited) {
      expect(answer.body.error?.code).to.equal('rate_limited');
      // One token an hour: the wait is most of an hour.
      expect(Number(answer.retryAfter)).to.be.greaterThan(3000);
    }
    expect(rig.provider.calls.filter((c) => c.path === '/api/echo').length - echoCallsBefore).to.equal(15);
  });

  it('the integration budget is shared by its connections: what connection a spent is gone for b and c too', async () => {
    // The integration bucket (burst 15) was emptied by connection a above; b and c still have their own tokens.
    const b = await call(second, 'limited', 'b');
    const c = await call(rig.api, 'limited', 'c');
    expect([b.status, c.status]).to.deep.equal([429, 429]);
  });

  it('a call that finds its budget empty for less than the queue window waits its turn instead of failing', async () => {
    const answers = [];
    // 4 calls a second, one at a time: each of these waits about 250 ms for its token.
    for (let i = 0; i < 4; i++) answers.push(await call(i % 2 === 0 ? rig.api : second, 'queued', 'q'));
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200]);
  });
});

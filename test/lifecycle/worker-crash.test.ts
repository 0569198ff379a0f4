import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadCatalog } from '../../providers/load-catalog';
import { ConnectionEntity, OperationLogEntity } from '../../src/db/entities';
import { startTestApi, type TestApi } from '../support/api-server';
import { fakeProviderEntry, startFakeProvider, type FakeProvider } from '../support/fake-provider';
import { http } from '../support/http';
import { FAKE_PROVIDER, fakeIntegration, obtainTokens } from '../support/lifecycle';
import { createDevServerEnv } from '../support/temporal-env';
import { WorkerProcesses, type WorkerProcessSettings } from '../support/worker-processes';

describe('a worker process killed during a refresh (dev server)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let provider: FakeProvider;
  let api: TestApi;
  /** Each `src/main.ts worker` process runs in production mode against the dev server and the test database. */
  let settings: WorkerProcessSettings;
  const key = randomBytes(32);
  const taskQueue = `crash-${randomUUID()}`;
  const workers = new WorkerProcesses();

  before(async () => {
    env = await createDevServerEnv();
    provider = await startFakeProvider({ cancelOnClientDisconnect: true });
    const providersFile = path.join(mkdtempSync(path.join(tmpdir(), 'custodian-crash-')), 'providers.yaml');
    writeFileSync(providersFile, stringify({ [FAKE_PROVIDER]: fakeProviderEntry(provider) }));
    api = await startTestApi({ temporal: env.client, catalog: loadCatalog({ extraFile: providersFile }), encryptionKey: key, env: { TEMPORAL_TASK_QUEUE: taskQueue } });
    const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
    await api.deps.integrations.create(environment.id, fakeIntegration(provider));
    settings = { databaseUrl: api.databaseUrl, temporalAddress: env.address, taskQueue, encryptionKey: key, providersFile };
  });
  after(async () => {
    await workers.killAll();
    await provider?.close();
    await api?.close();
    await env?.teardown();
  });

  it('retries the refresh on a restarted worker: the refresh token is used once and nothing turns invalid', async () => {
    const tokens = await obtainTokens(provider);
    const imported = await http(api.url, 'POST', '/connections', {
      token: api.secretKey,
      body: {
        provider_config_key: 'fake',
        connection_id: 'crash',
        credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3_600_000).toISOString() },
      },
    });
    expect(imported.status).to.equal(201);
    const first = workers.start(settings);
    await first.ready;

    provider.knobs.latencyMs = 20_000;
    const pending = http(api.url, 'GET', '/connections/crash?provider_config_key=fake&force_refresh=true', { token: api.secretKey });
    for (let i = 0; i < 600 && provider.tokenCalls('refresh_token').length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(provider.tokenCalls('refresh_token'), 'the refresh reached the provider').to.have.length(1);
    await workers.stop(first, 'SIGKILL');
    provider.knobs.latencyMs = 0;
    const second = workers.start(settings);

    const response = await pending;
    await workers.stop(second, 'SIGTERM');

    expect(response.status).to.equal(200);
    // The killed attempt's request is still sitting in the provider's latency; let it play out.
    for (let i = 0; i < 300 && provider.tokenCalls('refresh_token')[0]!.status === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const calls = provider.tokenCalls('refresh_token');
    expect(calls.map((c) => c.refreshTokenUsed)).to.deep.equal([tokens.refresh_token, tokens.refresh_token]);
    expect(calls.map((c) => c.status), 'the killed attempt never completed; the retry did').to.deep.equal([499, 200]);
    expect(provider.isAccessTokenValid(response.body.credentials.access_token)).to.equal(true);
    const row = await api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ connectionId: 'crash' });
    expect(row.status).to.equal('active');
    expect(row.credentialsVersion).to.equal(2);
  });

  /** Imports a connection, starts a worker and a forced refresh, kills the worker once the provider has the request. */
  async function killDuringRefresh(connectionId: string): Promise<{ refreshToken: string; pending: Promise<Awaited<ReturnType<typeof http>>> }> {
    const tokens = await obtainTokens(provider);
    const imported = await http(api.url, 'POST', '/connections', {
      token: api.secretKey,
      body: {
        provider_config_key: 'fake',
        connection_id: connectionId,
        credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3_600_000).toISOString() },
      },
    });
    expect(imported.status).to.equal(201);
    const worker = workers.start(settings);
    await worker.ready;
    const before = provider.tokenCalls('refresh_token').length;
    const pending = http(api.url, 'GET', `/connections/${connectionId}?provider_config_key=fake&force_refresh=true`, { token: api.secretKey });
    for (let i = 0; i < 600 && provider.tokenCalls('refresh_token').length === before; i++) await new Promise((r) => setTimeout(r, 100));
    await workers.stop(worker, 'SIGKILL');
    return { refreshToken: String(tokens.refresh_token), pending };
  }

  describe('when the provider still processes the killed worker\'s request (it rotates the token for nobody)', () => {
    beforeEach(() => {
      // The killed attempt's request is answered 2 s later, before the retry (heartbeat timeout 5 s) arrives.
      Object.assign(provider.knobs, { cancelOnClientDisconnect: false, latencyMs: 2_000 });
    });
    afterEach(() => {
      Object.assign(provider.knobs, { cancelOnClientDisconnect: true, latencyMs: 0, reuseGraceMs: 0 });
    });

    it('within the provider\'s reuse interval, the prompt retry with the same token succeeds and the connection stays active', async () => {
      provider.knobs.reuseGraceMs = 60_000;
      const { refreshToken, pending } = await killDuringRefresh('crash-grace');
      provider.knobs.latencyMs = 0;
      const restarted = workers.start(settings);
      const response = await pending;
      await workers.stop(restarted, 'SIGTERM');

      expect(response.status).to.equal(200);
      const calls = provider.tokenCalls('refresh_token').filter((c) => c.refreshTokenUsed === refreshToken);
      expect(calls.map((c) => c.status), 'the killed attempt was processed, then the retry reused its token').to.deep.equal([200, 200]);
      expect(provider.isAccessTokenValid(response.body.credentials.access_token)).to.equal(true);
      const row = await api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ connectionId: 'crash-grace' });
      expect(row).to.include({ status: 'active', refreshAttemptStartedAt: null });
    });

    it('without a reuse interval, the refusal is recorded as refresh_response_lost, not as a revocation', async () => {
      const { refreshToken, pending } = await killDuringRefresh('crash-lost');
      provider.knobs.latencyMs = 0;
      const restarted = workers.start(settings);
      const response = await pending;
      await workers.stop(restarted, 'SIGTERM');

      expect(response.status).to.equal(400);
      expect(response.body.error).to.include({ code: 'invalid_credentials' });
      expect(response.body.error.message).to.include('refresh_response_lost');
      const calls = provider.tokenCalls('refresh_token').filter((c) => c.refreshTokenUsed === refreshToken);
      expect(calls.map((c) => c.status)).to.deep.equal([200, 400]);
      const row = await api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ connectionId: 'crash-lost' });
      expect(row).to.include({ status: 'invalid', lastRefreshFailureReason: 'refresh_response_lost', refreshAttemptStartedAt: null });
      const log = await api.deps.db.getRepository(OperationLogEntity).find({ where: { connectionRowId: row.id, level: 'error' } });
      expect(log.map((l) => l.context['code'])).to.deep.equal(['refresh_response_lost']);
    });
  });
});

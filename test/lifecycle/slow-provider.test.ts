import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadCatalog } from '../../providers/load-catalog';
import { ConnectionEntity } from '../../src/db/entities';
import { startTestApi, type TestApi } from '../support/api-server';
import { fakeProviderEntry, startFakeProvider, type FakeProvider } from '../support/fake-provider';
import { http, type HttpResult } from '../support/http';
import { FAKE_PROVIDER, fakeIntegration, obtainTokens } from '../support/lifecycle';
import { createDevServerEnv } from '../support/temporal-env';
import { WorkerProcesses, type WorkerProcess } from '../support/worker-processes';

// Slower than the old 15 s limit, well inside PROVIDER_TIMEOUT's default (60 s).
const PROVIDER_LATENCY_MS = 40_000;

describe('a slow token endpoint with rotating refresh tokens (dev server, worker process)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let provider: FakeProvider;
  let api: TestApi;
  let secondApi: TestApi;
  let worker: WorkerProcess | undefined;
  const key = randomBytes(32);
  const taskQueue = `slow-${randomUUID()}`;
  const workers = new WorkerProcesses();

  before(async () => {
    env = await createDevServerEnv();
    provider = await startFakeProvider({ rotateRefreshTokens: true });
    const providersFile = path.join(mkdtempSync(path.join(tmpdir(), 'custodian-slow-')), 'providers.yaml');
    writeFileSync(providersFile, stringify({ [FAKE_PROVIDER]: fakeProviderEntry(provider) }));
    const catalog = loadCatalog({ extraFile: providersFile });
    const apiEnv = { TEMPORAL_TASK_QUEUE: taskQueue };
    api = await startTestApi({ temporal: env.client, catalog, encryptionKey: key, env: apiEnv });
    // A second API instance on the same database: its callers' Update meets the first one's inside the workflow.
    secondApi = await startTestApi({ temporal: env.client, catalog, encryptionKey: key, env: apiEnv, databaseUrl: api.databaseUrl });
    const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
    await api.deps.integrations.create(environment.id, fakeIntegration(provider));
    // `src/main.ts worker` as its own process, in production mode, with the default PROVIDER_TIMEOUT.
    worker = workers.start({ databaseUrl: api.databaseUrl, temporalAddress: env.address, taskQueue, encryptionKey: key, providersFile });
    await worker.ready;
  });
  after(async () => {
    try {
      if (worker) await workers.stop(worker, 'SIGTERM');
    } finally {
      await workers.killAll();
      await provider?.close();
      await secondApi?.close();
      await api?.close();
      await env?.teardown();
    }
  });

  it('makes exactly one provider call; every concurrent caller gets the new token and the connection stays active', async () => {
    const tokens = await obtainTokens(provider);
    const imported = await http(api.url, 'POST', '/connections', {
      token: api.secretKey,
      body: {
        provider_config_key: 'fake',
        connection_id: 'slow',
        credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3_600_000).toISOString() },
      },
    });
    expect(imported.status).to.equal(201);

    provider.knobs.latencyMs = PROVIDER_LATENCY_MS;
    const started = performance.now();
    const get = (target: TestApi) => http(target.url, 'GET', '/connections/slow?provider_config_key=fake&force_refresh=true', { token: api.secretKey });
    const callers: Promise<HttpResult>[] = [api, api, api, secondApi, secondApi].map(get);
    const responses = await Promise.all(callers);
    const seconds = (performance.now() - started) / 1000;

    const calls = provider.tokenCalls('refresh_token');
    const statuses = responses.map((r) => r.status);
    console.log(`      slow provider: ${calls.length} /token call(s) answered after ${PROVIDER_LATENCY_MS / 1000} s; ${responses.length} callers → ${statuses.join(', ')}; ${seconds.toFixed(1)} s`);
    expect(calls.map((c) => [c.refreshTokenUsed, c.status])).to.deep.equal([[tokens.refresh_token, 200]]);
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200]);
    const accessTokens = new Set(responses.map((r) => r.body.credentials.access_token as string));
    expect(accessTokens.size, 'every caller got the same, new token').to.equal(1);
    const [issued] = accessTokens;
    expect(issued).to.not.equal(tokens.access_token);
    expect(provider.isAccessTokenValid(issued!)).to.equal(true);
    const row = await api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ connectionId: 'slow' });
    expect(row).to.include({ status: 'active', credentialsVersion: 2, lastRefreshFailureReason: null, refreshAttemptStartedAt: null });
  });
});

/**
 * The whole connection path for API tests: a Temporal dev server, a worker with the real activities,
 * the API on a fresh database, a fake OAuth provider in the catalog and an integration for it.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createActivities } from '../../activities';
import { loadCatalog } from '../../providers/load-catalog';
import type { IntegrationEntity } from '../../src/db/entities';
import { createLogger } from '../../src/logger';
import { startTestApi, type TestApi } from './api-server';
import { fakeProviderEntry, startFakeProvider, type FakeProvider, type FakeProviderKnobs } from './fake-provider';
import { FAKE_PROVIDER, fakeIntegration, obtainTokens, workflowBundle } from './lifecycle';
import { http } from './http';

export interface ConnectionsRig {
  api: TestApi;
  provider: FakeProvider;
  integration: IntegrationEntity;
  worker: Worker;
  /** Resolves when the worker has stopped (after close). */
  stopWorker(): Promise<void>;
  /** Gets real tokens from the fake provider and imports them through `POST /connections`; returns the response. */
  importFromProvider(connectionId: string, extra?: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface ConnectionsRigOptions {
  knobs?: Partial<FakeProviderKnobs>;
  configEnv?: NodeJS.ProcessEnv;
  /** More catalog entries (Nango format, by provider name), e.g. API_KEY / BASIC entries verified against the fake provider. */
  extraProviders?: (provider: FakeProvider) => Record<string, Record<string, unknown>>;
}

export async function startConnectionsRig(env: TestWorkflowEnvironment, options: ConnectionsRigOptions = {}): Promise<ConnectionsRig> {
  const provider = await startFakeProvider(options.knobs);
  const dir = mkdtempSync(path.join(tmpdir(), 'custodian-catalog-'));
  const providersFile = path.join(dir, 'providers.yaml');
  writeFileSync(providersFile, stringify({ ...options.extraProviders?.(provider), [FAKE_PROVIDER]: fakeProviderEntry(provider) }));
  const catalog = loadCatalog({ extraFile: providersFile });
  const taskQueue = `api-${randomUUID()}`;
  const api = await startTestApi({ temporal: env.client, catalog, env: { TEMPORAL_TASK_QUEUE: taskQueue, ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...options.configEnv } });
  const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
  const integration = await api.deps.integrations.create(environment.id, fakeIntegration(provider, 'Fake'));
  const activities = createActivities({ db: api.deps.db, cipher: api.deps.cipher, catalog, config: api.deps.config, logger: createLogger('silent'), temporal: env.client });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  const running = worker.run();
  return {
    api,
    provider,
    integration,
    worker,
    stopWorker: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
    async importFromProvider(connectionId, extra = {}) {
      const tokens = await obtainTokens(provider);
      const expiresAt = typeof tokens.expires_in === 'number' ? new Date(Date.now() + tokens.expires_in * 1000).toISOString() : undefined;
      const response = await http(api.url, 'POST', '/connections', {
        token: api.secretKey,
        body: {
          provider_config_key: 'fake',
          connection_id: connectionId,
          credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: expiresAt, raw: tokens },
          ...extra,
        },
      });
      return { status: response.status, body: response.body as Record<string, unknown> };
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await provider.close();
      await api.close();
    },
  };
}

/**
 * A connection-lifecycle rig: a fresh database, a fake OAuth provider in the catalog, an environment
 * and an integration, the real activities, and a worker on a Temporal test environment.
 */
import { ALWAYS_REFRESH } from './refresh-policy';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { stringify } from 'yaml';
import { createActivities } from '../../activities';
import { loadCatalog, type Catalog } from '../../providers/load-catalog';
import { parseConfig, type Config } from '../../src/config';
import { ConnectionStore } from '../../src/connections/connection-store';
import { Cipher } from '../../src/crypto/cipher';
import { openDatabase } from '../../src/db/data-source';
import type { ConnectionEntity, EnvironmentEntity, IntegrationEntity } from '../../src/db/entities';
import { EnvironmentStore } from '../../src/environments/environment-store';
import { IntegrationStore, type IntegrationFields } from '../../src/integrations/integration-store';
import { createLogger } from '../../src/logger';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { connectionWorkflowId, connectionWorkflowInput } from '../../workflows/connection-messages';
import { createTestDatabase } from './database';
import { recordExecutions } from './history-audit';
import { registerSecrets } from './secret-registry';
import { startFakeProvider, fakeProviderEntry, type FakeProvider, type FakeProviderKnobs } from './fake-provider';

export const FAKE_PROVIDER = 'fake-oauth';

/** The `fake` integration on the fake provider, with the provider's OAuth client. */
export function fakeIntegration(provider: FakeProvider, displayName: string | null = null): IntegrationFields {
  return { uniqueKey: 'fake', provider: FAKE_PROVIDER, displayName, clientId: provider.knobs.clientId, clientSecret: provider.knobs.clientSecret, scopes: [], forwardWebhooks: true };
}

/** Changes to the fake provider's catalog entry, or a function of the provider's URL returning them. */
export type EntryOverrides = Record<string, unknown> | ((providerUrl: string) => Record<string, unknown>);
const REDIRECT_URI = 'http://127.0.0.1/callback';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined });
  return bundle;
}

export interface Lifecycle {
  provider: FakeProvider;
  db: DataSource;
  cipher: Cipher;
  catalog: Catalog;
  config: Config;
  connections: ConnectionStore;
  environment: EnvironmentEntity;
  /** The environment's secret key (also its default webhook signing key). */
  secretKey: string;
  integration: IntegrationEntity;
  taskQueue: string;
  worker: Worker;
  /** Obtains real tokens from the fake provider (authorization code + PKCE) and imports them as a connection. */
  connect(connectionId?: string, options?: { webhookUrl?: string }): Promise<ConnectionEntity>;
  /** Starts the connection workflow for a row. */
  startWorkflow(row: ConnectionEntity): Promise<{ workflowId: string; firstRunId: string }>;
  close(): Promise<void>;
}

export async function startLifecycle(options: { env: TestWorkflowEnvironment; knobs?: Partial<FakeProviderKnobs>; configEnv?: NodeJS.ProcessEnv; entry?: EntryOverrides }): Promise<Lifecycle> {
  const provider = await startFakeProvider(options.knobs);
  const dir = mkdtempSync(path.join(tmpdir(), 'custodian-catalog-'));
  const providersFile = path.join(dir, 'providers.yaml');
  writeFileSync(providersFile, stringify({ [FAKE_PROVIDER]: fakeProviderEntry(provider, typeof options.entry === 'function' ? options.entry(provider.url) : options.entry) }));
  const catalog = loadCatalog({ extraFile: providersFile });
  const database = await createTestDatabase();
  const db = await openDatabase(database.url);
  const cipher = new Cipher([{ id: 'test', key: randomBytes(32) }]);
  const config = parseConfig({ LOG_LEVEL: 'silent', ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true', ...ALWAYS_REFRESH, ...options.configEnv });
  const environments = new EnvironmentStore(db, cipher);
  const { environment, secretKey } = await environments.create('dev');
  registerSecrets(() => [secretKey]);
  const integration = await new IntegrationStore(db, cipher).create(environment.id, fakeIntegration(provider, 'Fake'));
  const connections = new ConnectionStore(db, cipher);
  const taskQueue = `lifecycle-${randomUUID()}`;
  const activities = createActivities({ db, cipher, catalog, config, logger: createLogger('silent') });
  const worker = await Worker.create({
    connection: options.env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    interceptors: { activity: [recordExecutions] },
  });

  const rig: Lifecycle = {
    provider,
    db,
    cipher,
    catalog,
    config,
    connections,
    environment,
    secretKey,
    integration,
    taskQueue,
    worker,
    async connect(connectionId = randomUUID(), connectOptions = {}) {
      const tokens = await obtainTokens(provider);
      const expiresIn = typeof tokens.expires_in === 'number' ? tokens.expires_in : null;
      const { row } = await connections.importConnection({
        environmentId: environment.id,
        integrationId: integration.id,
        connectionId,
        credentials: {
          type: 'OAUTH2',
          access_token: String(tokens.access_token),
          refresh_token: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : undefined,
          expires_at: expiresIn === null ? undefined : new Date(Date.now() + expiresIn * 1000).toISOString(),
          raw: tokens,
        },
        expiresAt: expiresIn === null ? null : new Date(Date.now() + expiresIn * 1000),
        webhookUrlOverride: connectOptions.webhookUrl ?? null,
      });
      return row;
    },
    async startWorkflow(row) {
      const workflowId = connectionWorkflowId(environment.name, integration.uniqueKey, row.connectionId);
      const handle = await options.env.client.workflow.start('connectionWorkflow', { taskQueue, workflowId, args: [connectionWorkflowInput(row.id)] });
      return { workflowId, firstRunId: handle.firstExecutionRunId };
    },
    async close() {
      await provider.close();
      await db.destroy();
      await database.drop();
    },
  };
  return rig;
}

/** Runs the authorization code flow (with PKCE) against the fake provider, as a browser and backend would. */
export async function obtainTokens(provider: FakeProvider): Promise<Record<string, unknown>> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${provider.url}/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: provider.knobs.clientId, redirect_uri: REDIRECT_URI, state: 's', code_challenge: challenge, code_challenge_method: 'S256' })) {
    authorize.searchParams.set(k, v);
  }
  const redirect = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const response = await fetch(`${provider.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: provider.knobs.clientId, client_secret: provider.knobs.clientSecret }),
  });
  if (!response.ok) throw new Error(`fake provider refused the code: ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

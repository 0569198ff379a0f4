import { Nango } from '@nangohq/node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { Cipher } from '../../src/crypto/cipher';
import { openDatabase } from '../../src/db/data-source';
import { EnvironmentStore } from '../../src/environments/environment-store';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { startCustodianProcess, waitForOutput, type CustodianProcess } from '../support/custodian-process';
import { createTestDatabase } from '../support/database';
import { fakeProviderEntry, startFakeProvider, type FakeProvider } from '../support/fake-provider';
import { mountProviderApi, type Echo, type ProviderApi } from '../support/fake-modes/provider-api';
import { freePort } from '../support/free-port';
import { auditHistories } from '../support/history-audit';
import { http } from '../support/http';
import { FAKE_PROVIDER, fakeIntegration, obtainTokens } from '../support/lifecycle';
import { createDevServerEnv } from '../support/temporal-env';

/**
 * The proxy as an operator runs it: production mode, separate API and worker processes at LOG_LEVEL debug,
 * PostgreSQL. Calls that succeed, refresh on a 401, fail at the provider and give up midway leave no
 * credential in either process's output or in any workflow history.
 */
describe('proxy in production processes: no credential in any log line or history (dev server, PostgreSQL)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let database: { url: string; drop: () => Promise<void> };
  let provider: FakeProvider;
  let api: ProviderApi;
  let dir: string;
  let secretKey: string;
  let apiUrl: string;
  const key = randomBytes(32);
  const processes: CustodianProcess[] = [];

  before(async () => {
    env = await createDevServerEnv();
    database = await createTestDatabase();
    provider = await startFakeProvider();
    api = mountProviderApi(provider);
    dir = mkdtempSync(path.join(tmpdir(), 'custodian-proxy-'));
    const providersFile = path.join(dir, 'providers.yaml');
    writeFileSync(providersFile, stringify({ [FAKE_PROVIDER]: fakeProviderEntry(provider) }));
    const db = await openDatabase(database.url);
    try {
      const cipher = new Cipher([{ id: 'test', key }]);
      const created = await new EnvironmentStore(db, cipher).create('dev');
      secretKey = created.secretKey;
      await new IntegrationStore(db, cipher).create(created.environment.id, fakeIntegration(provider));
    } finally {
      await db.destroy();
    }
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    const shared = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `proxy-${randomUUID()}`,
      ENCRYPTION_KEYS: `test=${key.toString('base64')}`,
      PROVIDERS_FILE: providersFile,
      ALLOW_PRIVATE_NETWORK_TARGETS: 'true',
      LOG_LEVEL: 'debug',
      SERVER_URL: apiUrl,
    };
    const apiProcess = startCustodianProcess('api', { ...shared, PORT: String(port) });
    const worker = startCustodianProcess('worker', shared);
    processes.push(apiProcess, worker);
    expect(await waitForOutput(apiProcess, 'API listening', 90_000), apiProcess.output()).to.equal(true);
    expect(await waitForOutput(worker, 'worker running', 90_000), worker.output()).to.equal(true);
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await provider?.close();
    await database?.drop();
    await env?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves, refreshes on a 401, passes provider errors and survives callers giving up, with no token, secret or key in the output', async () => {
    const nango = new Nango({ secretKey, host: apiUrl });
    const tokens = await obtainTokens(provider);
    const imported = await http(apiUrl, 'POST', '/connections', {
      token: secretKey,
      // A token the provider no longer accepts: the first proxied call gets a 401 and forces a refresh.
      body: { provider_config_key: 'fake', connection_id: 'prod-1', credentials: { type: 'OAUTH2', access_token: 'stale-access-token-prod', refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3_600_000).toISOString() } },
    });
    expect(imported.status).to.equal(201);

    const first = await nango.get<Echo>({ providerConfigKey: 'fake', connectionId: 'prod-1', endpoint: '/api/echo', headers: { 'X-Team': 'core' } });
    expect(first.status).to.equal(200);
    expect(provider.tokenCalls('refresh_token')).to.have.length(1);
    const posted = await nango.post<Echo>({ providerConfigKey: 'fake', connectionId: 'prod-1', endpoint: '/api/echo', data: { a: 1 } });
    expect(posted.status).to.equal(200);
    api.statuses.push({ status: 503 });
    const failed = await nango.get({ providerConfigKey: 'fake', connectionId: 'prod-1', endpoint: '/api/status' }).then(
      () => 0,
      (error: { response?: { status: number } }) => error.response?.status ?? -1,
    );
    expect(failed).to.equal(503);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${apiUrl}/proxy/api/echo`, { headers: { authorization: `Bearer ${secretKey}`, 'connection-id': 'prod-1', 'provider-config-key': 'fake' }, signal: AbortSignal.timeout(1 + i) })
          .then((r) => r.arrayBuffer())
          .catch(() => undefined),
      ),
    );
    expect((await http(apiUrl, 'GET', '/health')).status).to.equal(200);

    const secrets = [...provider.issued.accessTokens, ...provider.issued.refreshTokens, 'stale-access-token-prod', provider.knobs.clientSecret, secretKey];
    expect(secrets.length).to.be.greaterThan(4);
    for (const child of processes) {
      const output = child.output();
      expect(output.length, child.role).to.be.greaterThan(0);
      for (const secret of secrets) expect(output.includes(secret), `${child.role} output holds a secret`).to.equal(false);
    }
    const audit = await auditHistories(env.client);
    expect(audit.histories).to.be.greaterThan(0);
    expect(audit.hits).to.deep.equal([]);
  });
});

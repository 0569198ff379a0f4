import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
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
import { freePort } from '../support/free-port';
import { createDevServerEnv } from '../support/temporal-env';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}
const WARN = 40;

function warnings(output: string): LogLine[] {
  return output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine).filter((line) => line.level === WARN);
}

describe('start-up warnings about the catalog (API and worker processes, production mode)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let database: { url: string; drop: () => Promise<void> };
  let dir: string;
  let providersFile: string;
  const key = randomBytes(32);
  const processes: CustodianProcess[] = [];

  before(async () => {
    env = await createDevServerEnv();
    database = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'custodian-startup-'));
    providersFile = path.join(dir, 'providers.yaml');
    // What is left of the file: one private provider still there, one broken entry, one of an auth mode
    // Custodian does not implement; `my-crm` was removed.
    writeFileSync(providersFile, stringify({
      'my-tickets': { auth_mode: 'API_KEY' },
      'my-broken': { auth_mode: 'OAUTH2', authorization_url: 'https://auth.my-company.example/authorize' },
      'my-future': { auth_mode: 'FUTURE_MODE', token_url: 'https://auth.my-company.example/token' },
    }));
    const db = await openDatabase(database.url);
    try {
      const cipher = new Cipher([{ id: 'test', key }]);
      const environments = new EnvironmentStore(db, cipher);
      const integrations = new IntegrationStore(db, cipher);
      const fields = { displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true };
      const dev = (await environments.create('dev')).environment;
      const prod = (await environments.create('prod')).environment;
      await integrations.create(dev.id, { ...fields, uniqueKey: 'crm', provider: 'my-crm' });
      await integrations.create(dev.id, { ...fields, uniqueKey: 'tickets', provider: 'my-tickets' });
      await integrations.create(dev.id, { ...fields, uniqueKey: 'gh', provider: 'github' });
      await integrations.create(prod.id, { ...fields, uniqueKey: 'crm-prod', provider: 'my-crm' });
    } finally {
      await db.destroy();
    }
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await env?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each process logs one warning per integration outside the catalog (environment, integration, provider) and one per PROVIDERS_FILE entry left out (file, entry, field or unsupported auth mode)', async () => {
    const shared = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `startup-${randomUUID()}`,
      ENCRYPTION_KEYS: `test=${key.toString('base64')}`,
      PROVIDERS_FILE: providersFile,
      LOG_LEVEL: 'info',
    };
    const api = startCustodianProcess('api', { ...shared, PORT: String(await freePort()) });
    const worker = startCustodianProcess('worker', shared);
    processes.push(api, worker);
    expect(await waitForOutput(api, 'API listening', 90_000), api.output()).to.equal(true);
    expect(await waitForOutput(worker, 'worker running', 90_000), worker.output()).to.equal(true);

    for (const child of [api, worker]) {
      const lines = warnings(child.output());
      const orphans = lines.filter((line) => line.msg.includes('not in the provider catalog'));
      expect(orphans.map(({ environment, integration, provider, msg }) => ({ environment, integration, provider, msg })), child.role).to.deep.equal([
        {
          environment: 'dev', integration: 'crm', provider: 'my-crm',
          msg: 'environment "dev": Integration "crm" uses provider "my-crm", which is not in the provider catalog (removed from PROVIDERS_FILE or renamed by an upgrade); add the provider back to the catalog',
        },
        {
          environment: 'prod', integration: 'crm-prod', provider: 'my-crm',
          msg: 'environment "prod": Integration "crm-prod" uses provider "my-crm", which is not in the provider catalog (removed from PROVIDERS_FILE or renamed by an upgrade); add the provider back to the catalog',
        },
      ]);
      const broken = lines.filter((line) => line.msg.startsWith('PROVIDERS_FILE entry left out'));
      expect(broken.map(({ file, provider, reason, msg }) => ({ file, provider, reason, msg })), child.role).to.deep.equal([
        {
          file: providersFile, provider: 'my-broken', reason: 'token_url: is required when auth_mode is OAUTH2',
          msg: `PROVIDERS_FILE entry left out: ${providersFile}: my-broken: token_url: is required when auth_mode is OAUTH2`,
        },
        {
          file: providersFile, provider: 'my-future', reason: 'auth_mode: FUTURE_MODE is not supported (yet)',
          msg: `PROVIDERS_FILE entry left out: ${providersFile}: my-future: auth_mode: FUTURE_MODE is not supported (yet)`,
        },
      ]);
    }
  });
});

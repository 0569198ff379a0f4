import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { MIGRATIONS } from '../../src/db/data-source';
import { hashToken } from '../../src/environments/secret-key';
import { startCustodianProcess, waitForOutput, waitForStatus200, type CustodianProcess } from '../support/custodian-process';
import { createTestDatabase } from '../support/database';
import { freePort } from '../support/free-port';
import { createDevServerEnv } from '../support/temporal-env';

/** How long the workers must stay up after saying they run (a process that lost a start-up race exits at once). */
const SETTLE_MS = 3_000;

describe('two API and two worker processes started at once on an empty database (production mode)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let database: { url: string; drop: () => Promise<void> };
  const processes: CustodianProcess[] = [];

  before(async () => {
    env = await createDevServerEnv();
    database = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await env?.teardown();
  });

  it('all come up: each API is ready, both workers keep running, each migration ran once and there is one dev environment', async () => {
    const shared = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `start-${randomUUID()}`,
      ENCRYPTION_KEYS: `test=${randomBytes(32).toString('base64')}`,
      LOG_LEVEL: 'info',
    };
    const ports = [await freePort(), await freePort()];
    const apis = ports.map((port) => startCustodianProcess('api', { ...shared, PORT: String(port) }));
    const workers = [1, 2].map(() => startCustodianProcess('worker', shared));
    processes.push(...apis, ...workers);

    const statuses = await Promise.all(apis.map((api, i) => waitForStatus200(`http://127.0.0.1:${ports[i]}/health/ready`, api, 90_000)));
    expect(statuses, `API output:\n${apis.map((api) => api.output()).join('\n---\n')}`).to.deep.equal([200, 200]);
    // A worker bundles the workflow code before it polls: that takes a while on a busy machine.
    const running = await Promise.all(workers.map((worker) => waitForOutput(worker, 'worker running', 90_000)));
    expect(running, `worker output:\n${workers.map((worker) => worker.output()).join('\n---\n')}`).to.deep.equal([true, true]);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    expect(processes.map((p) => `${p.role}: ${p.alive() ? 'alive' : 'exited'}`)).to.deep.equal(['api: alive', 'api: alive', 'worker: alive', 'worker: alive']);

    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const applied = await client.query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
      expect(applied.rows.map((row) => row.name)).to.deep.equal(MIGRATIONS.map((migration) => migration.name));
      const environments = await client.query<{ name: string }>('SELECT name FROM environment');
      expect(environments.rows).to.deep.equal([{ name: 'dev' }]);
    } finally {
      await client.end();
    }
    // Exactly one API created the environment (and said so, without its key: production prints no key); the other found it.
    const announced = apis.filter((api) => api.output().includes('created the \\"dev\\" environment with a generated secret key'));
    expect(announced).to.have.length(1);
  });

  it('a production API that generated the secret key does not print it (stdout and logs hold no value hashing to the key)', async () => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    let keyHash: string | undefined;
    try {
      keyHash = (await client.query<{ secret_key_hash: string }>(`SELECT secret_key_hash FROM environment WHERE name = 'dev'`)).rows[0]?.secret_key_hash;
    } finally {
      await client.end();
    }
    expect(keyHash).to.be.a('string');
    const output = processes.filter((p) => p.role === 'api').map((p) => p.output()).join('\n');
    const uuids = output.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? [];
    expect(uuids.filter((candidate) => hashToken(candidate) === keyHash)).to.deep.equal([]);
    expect(output).to.not.contain('Secret key of the new');
  });
});

import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { freePort } from '../support/free-port';
import { http } from '../support/http';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';
import { createDevServerEnv } from '../support/temporal-env';

const ROOT = path.join(__dirname, '..', '..');
const OUTAGE_MS = 5_000;
const RECOVERY_LIMIT_MS = 5_000;
// Longer than the pool's 5 s acquisition timeout: an answer slower than this is a hang.
const REQUEST_TIMEOUT_MS = 8_000;
const READERS = 4;
const START_LIMIT_MS = 60_000;

interface Answer {
  startedAt: number;
  endedAt: number;
  status: number | 'timeout' | 'network';
  code?: string;
  retryAfter: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PostgreSQL outage under read load (production API process, private cluster)', function () {
  this.timeout(180_000);
  let pg: PrivatePostgres;
  let env: TestWorkflowEnvironment;
  let api: ChildProcess | undefined;
  let baseUrl: string;
  const secretKey = randomUUID();

  before(async () => {
    pg = await startPrivatePostgres();
    env = await createDevServerEnv();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    api = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts', 'api'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        SERVER_URL: baseUrl,
        DATABASE_URL: pg.url,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_TASK_QUEUE: `outage-${randomUUID()}`,
        ENCRYPTION_KEYS: `test=${randomBytes(32).toString('base64')}`,
        CUSTODIAN_SECRET_KEY: secretKey,
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const deadline = Date.now() + START_LIMIT_MS;
    for (;;) {
      if (api.exitCode !== null) throw new Error(`the API process exited with ${api.exitCode}`);
      const up = await fetch(`${baseUrl}/health`).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > deadline) throw new Error('the API process did not start within 60 s');
      await sleep(200);
    }
  });

  after(async () => {
    if (api && api.exitCode === null && api.signalCode === null) {
      api.kill('SIGTERM');
      await Promise.race([once(api, 'exit'), sleep(10_000)]);
      if (api.exitCode === null && api.signalCode === null) api.kill('SIGKILL');
    }
    await env?.teardown();
    await pg?.destroy();
  });

  const call = (method: string, route: string, body?: unknown) => http(baseUrl, method, route, { token: secretKey, body });

  async function read(): Promise<Answer> {
    const startedAt = Date.now();
    try {
      const response = await fetch(`${baseUrl}/connections/outage?provider_config_key=gh`, {
        headers: { authorization: `Bearer ${secretKey}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = (await response.json()) as { error?: { code?: string } };
      return { startedAt, endedAt: Date.now(), status: response.status, code: body.error?.code, retryAfter: response.headers.get('retry-after') };
    } catch (error) {
      const status = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network';
      return { startedAt, endedAt: Date.now(), status, retryAfter: null };
    }
  }

  it('answers reads and writes 503 database_unavailable with Retry-After while PostgreSQL is down, reports it on /health/ready, serves again within 5 s of the restart, and keeps the write acknowledged before', async () => {
    const integration = await call('POST', '/integrations', { provider: 'github', unique_key: 'gh', credentials: { type: 'OAUTH2', client_id: 'client-outage', client_secret: 'secret-outage' } });
    expect(integration.status).to.equal(200);
    const imported = await call('POST', '/connections', {
      provider_config_key: 'gh',
      connection_id: 'outage',
      credentials: { type: 'OAUTH2', access_token: 'token-outage', expires_at: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(imported.status).to.equal(201);
    const written = await call('POST', '/connections/metadata', { connection_id: 'outage', provider_config_key: 'gh', metadata: { written: 'before the outage' } });
    expect(written.status).to.equal(201);

    const answers: Answer[] = [];
    let loading = true;
    const readers = Array.from({ length: READERS }, async () => {
      // Bounded: the load stops when the test says so, and at most after this many requests.
      for (let i = 0; loading && i < 100_000; i++) answers.push(await read());
    });
    // The server is surely down between pg_ctl stop returning and pg_ctl start being called.
    let stoppedAt = 0;
    let restartCalledAt = 0;
    let restartedAt = 0;
    let recoveredAt: number | undefined;
    let refusedWrite: Awaited<ReturnType<typeof call>> | undefined;
    let readiness: Awaited<ReturnType<typeof call>> | undefined;
    try {
      await sleep(500);
      await pg.stop();
      stoppedAt = Date.now();
      // Mid-outage: a write is refused the same way, and readiness names the dependency that is down.
      refusedWrite = await call('POST', '/connections/metadata', { connection_id: 'outage', provider_config_key: 'gh', metadata: { written: 'during the outage' } });
      readiness = await http(baseUrl, 'GET', '/health/ready');
      await sleep(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
      restartCalledAt = Date.now();
      await pg.start();
      restartedAt = Date.now();
      const limit = restartCalledAt + RECOVERY_LIMIT_MS;
      while (recoveredAt === undefined && Date.now() < limit) {
        recoveredAt = answers.find((a) => a.startedAt >= restartCalledAt && a.status === 200)?.endedAt;
        if (recoveredAt === undefined) await sleep(10);
      }
      await sleep(300);
    } finally {
      loading = false;
      await Promise.all(readers);
    }

    const during = answers.filter((a) => a.startedAt >= stoppedAt && a.endedAt <= restartCalledAt);
    const byStatus = (list: Answer[]) => list.reduce<Record<string, number>>((acc, a) => ({ ...acc, [`${a.status}${a.code ? ` ${a.code}` : ''}`]: (acc[`${a.status}${a.code ? ` ${a.code}` : ''}`] ?? 0) + 1 }), {});
    console.log(`      ${answers.length} answers in all: ${JSON.stringify(byStatus(answers))}`);
    console.log(`      during the ${restartCalledAt - stoppedAt} ms outage: ${during.length} answers: ${JSON.stringify(byStatus(during))}; slowest ${Math.max(...during.map((a) => a.endedAt - a.startedAt))} ms`);
    const recovery = recoveredAt === undefined ? 'none' : `${recoveredAt - restartCalledAt} ms after pg_ctl start was called, ${recoveredAt - restartedAt} ms after it returned (it took ${restartedAt - restartCalledAt} ms)`;
    console.log(`      first 200 after the restart: ${recovery}`);

    expect(during.length, 'answers during the outage').to.be.greaterThan(0);
    expect(byStatus(during), 'every answer during the outage').to.deep.equal({ [`503 database_unavailable`]: during.length });
    expect(during.every((a) => a.retryAfter === '5'), 'each 503 carries Retry-After: 5').to.equal(true);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503), 'no answer other than 200 or 503, none hanging').to.deep.equal([]);
    expect(recoveredAt, 'a 200 within 5 s of the restart').to.not.equal(undefined);
    expect(recoveredAt! - restartCalledAt).to.be.at.most(RECOVERY_LIMIT_MS);

    expect(refusedWrite?.status, 'a write during the outage').to.equal(503);
    expect(refusedWrite?.body.error.code).to.equal('database_unavailable');
    expect(readiness?.status).to.equal(503);
    expect(readiness?.body.error.payload.checks).to.deep.equal({ database: 'unreachable', temporal: 'ok' });

    const after = await call('GET', '/connections/outage?provider_config_key=gh');
    expect(after.status).to.equal(200);
    expect(after.body.metadata).to.deep.equal({ written: 'before the outage' });
  });
});

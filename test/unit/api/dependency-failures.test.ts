import { expect } from 'chai';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import Koa from 'koa';
import { Writable } from 'node:stream';
import { Client, Pool } from 'pg';
import { QueryFailedError } from 'typeorm';
import { errorHandler } from '../../../src/api/middleware/error-handler';
import { listen } from '../../../src/api/server';
import { isDatabaseUnavailable } from '../../../src/db/database-unavailable';
import { CustodianError } from '../../../src/errors';
import { createLogger } from '../../../src/logger';
import { isTemporalUnavailable } from '../../../src/temporal/temporal-unavailable';
import { freePort } from '../../support/free-port';

function serverUrl(): string {
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set');
  return process.env.DATABASE_URL;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A real error of a pg client whose backend another session terminated (57P01 or a lost connection). */
async function terminatedBackendError(): Promise<unknown> {
  const victim = new Client({ connectionString: serverUrl() });
  victim.on('error', () => undefined);
  await victim.connect();
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    return await rejection(victim.query('SELECT 1'));
  } finally {
    await admin.end();
    await victim.end().catch(() => undefined);
  }
}

/** An app whose only route throws `error`, behind the error handler. */
async function answerFor(error: unknown, logLines: string[] = []): Promise<{ status: number; retryAfter: string | null; body: { error: Record<string, unknown> } }> {
  const app = new Koa();
  app.silent = true;
  app.use(errorHandler(createLogger('info', new Writable({ write: (chunk, _e, done) => { logLines.push(String(chunk)); done(); } }))));
  app.use(() => {
    throw error;
  });
  const server = await listen(app, { port: 0, host: '127.0.0.1' });
  try {
    const response = await fetch(`http://127.0.0.1:${server.port}/x`);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { error: Record<string, unknown> } };
  } finally {
    await server.close();
  }
}

describe('dependency failures', () => {
  it('recognises PostgreSQL unreachable: a refused connection, a terminated backend, a pool wait timeout, and those wrapped by TypeORM', async () => {
    const closed = await freePort();
    const refused = await rejection(new Client({ connectionString: `postgres://custodian@127.0.0.1:${closed}/postgres` }).connect());
    expect(isDatabaseUnavailable(refused), `refused: ${String(refused)}`).to.equal(true);

    const terminated = await terminatedBackendError();
    expect(isDatabaseUnavailable(terminated), `terminated: ${String(terminated)}`).to.equal(true);

    const pool = new Pool({ connectionString: serverUrl(), max: 1, connectionTimeoutMillis: 100 });
    const held = await pool.connect();
    try {
      const waited = await rejection(pool.connect());
      expect(isDatabaseUnavailable(waited), `pool wait: ${String(waited)}`).to.equal(true);
    } finally {
      held.release();
      await pool.end();
    }

    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], terminated as Error))).to.equal(true);
  });

  it('does not take a query error for an outage: a syntax error, a division by zero, a plain Error', async () => {
    const client = new Client({ connectionString: serverUrl() });
    await client.connect();
    try {
      const syntax = await rejection(client.query('SELEC 1'));
      const divide = await rejection(client.query('SELECT 1 FROM (VALUES (1), (1)) v(x) GROUP BY x HAVING 1 / 0 = 1'));
      expect(isDatabaseUnavailable(syntax)).to.equal(false);
      expect(isDatabaseUnavailable(new QueryFailedError('SELEC 1', [], syntax as Error))).to.equal(false);
      expect(isDatabaseUnavailable(divide)).to.equal(false);
      expect(isDatabaseUnavailable(new Error('boom'))).to.equal(false);
    } finally {
      await client.end();
    }
  });

  it('recognises Temporal unreachable: a call to a port nothing listens on fails UNAVAILABLE or DEADLINE_EXCEEDED', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const client = new TemporalClient({ connection });
    try {
      const failure = await rejection(connection.withDeadline(Date.now() + 1_000, () => client.workflow.getHandle('nothing').describe()));
      expect(isTemporalUnavailable(failure), String(failure)).to.equal(true);
      expect(isTemporalUnavailable(new Error('boom'))).to.equal(false);
    } finally {
      await connection.close();
    }
  });

  it('answers a PostgreSQL outage with 503 database_unavailable, Retry-After and the catalogue message only, and logs no query parameter', async () => {
    const refused = await rejection(new Client({ connectionString: `postgres://custodian@127.0.0.1:${await freePort()}/postgres` }).connect());
    const lines: string[] = [];
    const answer = await answerFor(new QueryFailedError('SELECT $1', ['hash-of-a-secret-key'], refused as Error), lines);
    expect(answer).to.deep.equal({ status: 503, retryAfter: '5', body: { error: { code: 'database_unavailable', message: 'The database is unavailable; retry later' } } });
    expect(lines.join('')).to.contain('database_unavailable').and.not.contain('hash-of-a-secret-key');
  });

  it('answers Temporal unreachable with 503 temporal_unavailable and Retry-After', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const client = new TemporalClient({ connection });
    const failure = await rejection(connection.withDeadline(Date.now() + 1_000, () => client.workflow.getHandle('nothing').describe()));
    await connection.close();
    const answer = await answerFor(failure);
    expect(answer).to.deep.equal({ status: 503, retryAfter: '5', body: { error: { code: 'temporal_unavailable', message: 'Temporal is unavailable; retry later' } } });
  });

  it('answers a catalogued error with its status and thrown message, a variant with the variant\'s status', async () => {
    expect(await answerFor(new CustodianError('invalid_credentials', 'refresh failed', { variant: 'backing_off' }))).to.deep.equal({
      status: 424,
      retryAfter: null,
      body: { error: { code: 'invalid_credentials', message: 'refresh failed' } },
    });
    expect((await answerFor(new CustodianError('provider_not_in_catalog', 'Provider x is gone'))).status).to.equal(409);
  });
});

import { expect } from 'chai';
import type { Pool } from 'pg';
import { ConnectionEntity } from '../../src/db/entities';
import { FetchRecorder } from '../../src/connections/fetch-recorder';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

/** A pool that counts the statements sent through it, and can be told to refuse the next one. */
function countingPool(pool: Pool) {
  const counted = { statements: 0, refuseNext: false };
  const wrapper = {
    query: (...args: Parameters<Pool['query']>) => {
      counted.statements += 1;
      if (counted.refuseNext) {
        counted.refuseNext = false;
        return Promise.reject(new Error('refused for the test'));
      }
      return (pool.query as (...a: unknown[]) => unknown)(...args);
    },
  } as unknown as Pool;
  return { counted, pool: wrapper };
}

describe('last_fetched_at: reads buffered in memory and written in one batched UPDATE', () => {
  let api: TestApi;
  let environmentId: string;
  let integrationId: string;

  before(async () => {
    api = await startTestApi();
    environmentId = (await api.deps.environments.findBySecretKey(api.secretKey))!.id;
    integrationId = (await api.deps.integrations.create(environmentId, { uniqueKey: 'gh', provider: 'github', displayName: null, clientId: 'id', clientSecret: 'flush-client-secret', scopes: [], forwardWebhooks: true })).id;
  });
  after(() => api?.close());

  async function seed(connectionId: string): Promise<ConnectionEntity> {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { row } = await api.deps.connections.importConnection({
      environmentId,
      integrationId,
      connectionId,
      credentials: { type: 'OAUTH2', access_token: `at-${connectionId}`, refresh_token: `rt-${connectionId}`, expires_at: expiresAt.toISOString(), raw: {} },
      expiresAt,
    });
    return row;
  }

  const stored = async (id: string) => (await api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ id })).lastFetchedAt;
  const pgPool = () => (api.deps.db.driver as unknown as { master: Pool }).master;

  it('reads of several connections within the interval cost one UPDATE, which writes each connection\'s recorded read', async () => {
    const rows = await Promise.all(['batch-1', 'batch-2', 'batch-3'].map(seed));
    const { counted, pool } = countingPool(pgPool());
    // An interval no test outlives: only the explicit flush writes.
    const recorder = new FetchRecorder(() => pool, undefined, 3_600_000);
    const first = new Date('2026-12-01T10:00:00.000Z');
    for (const row of rows) recorder.record(row, first);
    // Read again within the minute: the recorded read stands, nothing more is buffered.
    recorder.record({ ...rows[0]!, lastFetchedAt: null }, new Date(first.getTime() + 30_000));
    expect(counted.statements, 'nothing written on the read path').to.equal(0);
    await recorder.flush();
    expect(counted.statements).to.equal(1);
    for (const row of rows) expect((await stored(row.id))?.toISOString()).to.equal(first.toISOString());
    await recorder.flush();
    expect(counted.statements, 'an empty buffer writes nothing').to.equal(1);
  });

  it('never moves the column back (another instance recorded a later read), and a failed write is kept for the next flush', async () => {
    const row = await seed('later-elsewhere');
    const later = new Date('2026-12-01T12:00:00.000Z');
    await api.deps.db.getRepository(ConnectionEntity).update({ id: row.id }, { lastFetchedAt: later });
    const { counted, pool } = countingPool(pgPool());
    const failures: unknown[] = [];
    const recorder = new FetchRecorder(() => pool, (error) => failures.push(error), 3_600_000);
    recorder.record({ id: row.id, lastFetchedAt: null }, new Date('2026-12-01T11:00:00.000Z'));
    const other = await seed('kept-after-failure');
    recorder.record(other, new Date('2026-12-01T11:30:00.000Z'));
    counted.refuseNext = true;
    await recorder.flush();
    expect(failures).to.have.length(1);
    expect(await stored(other.id), 'not written yet').to.equal(null);
    await recorder.flush();
    expect((await stored(other.id))?.toISOString()).to.equal('2026-12-01T11:30:00.000Z');
    expect((await stored(row.id))?.toISOString()).to.equal(later.toISOString());
  });

  it('GET answers the read it recorded, the same within the minute, before and after the buffer is written; shutdown writes it', async () => {
    await seed('get-flushed');
    const get = () => http(api.url, 'GET', '/connections/get-flushed?provider_config_key=gh', { token: api.secretKey });
    const before = Date.now();
    const first = await get();
    expect(first.status).to.equal(200);
    const shown = first.body.last_fetched_at as string;
    expect(Date.parse(shown)).to.be.within(before - 1_000, Date.now() + 1_000);
    expect((await get()).body.last_fetched_at).to.equal(shown);
    // What shutdown does (the API process closes the store after its server, before the pool).
    await api.deps.connections.close();
    const row = await api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ connectionId: 'get-flushed' });
    expect(row.lastFetchedAt?.toISOString()).to.equal(shown);
    expect((await get()).body.last_fetched_at, 'read back from the row').to.equal(shown);
  });

  it('a connection last read over a minute ago records the new read', async () => {
    const row = await seed('stale-read');
    const old = new Date(Date.now() - 5 * 60_000);
    await api.deps.db.getRepository(ConnectionEntity).update({ id: row.id }, { lastFetchedAt: old });
    const before = Date.now();
    const response = await http(api.url, 'GET', '/connections/stale-read?provider_config_key=gh', { token: api.secretKey });
    expect(Date.parse(response.body.last_fetched_at as string)).to.be.at.least(before - 1_000);
    await api.deps.connections.flushFetched();
    expect((await stored(row.id))?.toISOString()).to.equal(response.body.last_fetched_at);
  });

  it('decrypted credentials are kept per row, frozen and shared, and a new import (new ciphertext) replaces them', async () => {
    const row = await seed('opened');
    const first = api.deps.connections.credentialsOf(row);
    expect(Object.isFrozen(first)).to.equal(true);
    expect(api.deps.connections.credentialsOf(row)).to.equal(first);
    const { row: replaced } = await api.deps.connections.importConnection({
      environmentId,
      integrationId,
      connectionId: 'opened',
      credentials: { type: 'OAUTH2', access_token: 'at-opened-2', refresh_token: 'rt-opened-2', expires_at: new Date(Date.now() + 3_600_000).toISOString(), raw: {} },
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    expect(api.deps.connections.credentialsOf(replaced)).to.include({ access_token: 'at-opened-2' });
    const response = await http(api.url, 'GET', '/connections/opened?provider_config_key=gh', { token: api.secretKey });
    expect(response.body.credentials.access_token).to.equal('at-opened-2');
  });
});

describe('import: a new connection is one insert, an existing one an override', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api?.close());

  it('imports of one new connection id sent at once make one creation and overrides, never a duplicate-key error', async () => {
    const environmentId = (await api.deps.environments.findBySecretKey(api.secretKey))!.id;
    const integrationId = (await api.deps.integrations.create(environmentId, { uniqueKey: 'gh', provider: 'github', displayName: null, clientId: 'id', clientSecret: 'race-client-secret', scopes: [], forwardWebhooks: true })).id;
    const expiresAt = new Date(Date.now() + 3_600_000);
    const results = await Promise.all([1, 2, 3, 4].map((n) => api.deps.connections.importConnection({
      environmentId,
      integrationId,
      connectionId: 'raced',
      credentials: { type: 'OAUTH2', access_token: `at-raced-${n}`, refresh_token: `rt-raced-${n}`, expires_at: expiresAt.toISOString(), raw: {} },
      expiresAt,
      tags: { n: String(n) },
    })));
    expect(results.map((r) => r.operation).sort()).to.deep.equal(['creation', 'override', 'override', 'override']);
    expect(new Set(results.map((r) => r.row.id)).size).to.equal(1);
    const rows = await api.deps.db.getRepository(ConnectionEntity).findBy({ connectionId: 'raced' });
    expect(rows).to.have.length(1);
    expect(rows[0]!.credentialsVersion).to.equal(4);
    const created = results.find((r) => r.operation === 'creation')!.row;
    expect(created).to.be.instanceOf(ConnectionEntity);
    expect(created).to.deep.include({ connectionId: 'raced', credentialsVersion: 1, status: 'active', metadata: null, endUser: null, webhookUrlOverride: null, lastFetchedAt: null });
    expect(api.deps.connections.credentialsOf(rows[0]!)).to.have.property('access_token').that.matches(/^at-raced-\d$/);
  });
});

import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { MIGRATIONS, openDatabase } from '../../src/db/data-source';
import { createTestDatabase } from '../support/database';

describe('database migrations (PostgreSQL server)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;

  before(async () => {
    db = await createTestDatabase();
    ds = await openDatabase(db.url);
  });
  after(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('creates every table of the data model', async () => {
    const rows: { table_name: string }[] = await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY table_name`,
    );
    expect(rows.map((r) => r.table_name)).to.deep.equal([
      'auth_attempt', 'connect_session', 'connection', 'environment', 'integration', 'operation_log', 'pending_workflow_start', 'proxy_rate_bucket', 'webhook_delivery',
    ]);
  });

  it('applies nothing on a second start', async () => {
    await ds.destroy();
    ds = await openDatabase(db.url);
    const applied: unknown[] = await ds.query(`SELECT name FROM migrations`);
    expect(applied).to.have.length(MIGRATIONS.length);
  });

  it('has entity classes whose tables and columns match the migration exactly', async () => {
    // TypeORM's schema builder lists what it would change to make the database match the entities.
    // Constraints and indexes are owned by the migration (entities do not redeclare them); columns must not differ.
    const { upQueries } = await ds.driver.createSchemaBuilder().log();
    const columnChanges = upQueries.map((q) => q.query).filter((sql) => /CREATE TABLE|ADD COLUMN|ALTER COLUMN|DROP COLUMN|ADD "|DROP "/.test(sql) && !/CONSTRAINT|INDEX/.test(sql));
    expect(columnChanges).to.deep.equal([]);
    expect(ds.entityMetadatas.map((m) => m.tableName).sort()).to.deep.equal([
      'auth_attempt', 'connect_session', 'connection', 'environment', 'integration', 'operation_log', 'pending_workflow_start', 'proxy_rate_bucket', 'webhook_delivery',
    ]);
  });

  it('refuses a second live connection with the same environment, integration and connection id, but allows one after a soft delete', async () => {
    const [env] = await ds.query(`INSERT INTO environment (name, secret_key_hash, secret_key_encrypted, webhook_signing_key_encrypted)
      VALUES ('dev', repeat('a', 64), 'x', 'y') RETURNING id`);
    const [integ] = await ds.query(`INSERT INTO integration (environment_id, unique_key, provider) VALUES ($1, 'gh', 'github') RETURNING id`, [env.id]);
    const insert = () => ds.query(`INSERT INTO connection (environment_id, integration_id, connection_id, credentials_encrypted) VALUES ($1, $2, 'c1', 'k:iv:ct:tag') RETURNING id`, [env.id, integ.id]);
    const [first] = await insert();
    let code: string | undefined;
    await insert().catch((error: { driverError?: { code?: string } }) => {
      code = error.driverError?.code;
    });
    expect(code).to.equal('23505');
    await ds.query(`UPDATE connection SET deleted_at = now() WHERE id = $1`, [first.id]);
    const [second] = await insert();
    expect(second.id).to.not.equal(first.id);
  });
});

describe('database migrations started by several processes at once (PostgreSQL server)', () => {
  let db: { url: string; drop: () => Promise<void> };
  const opened: DataSource[] = [];

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    for (const ds of opened) await ds.destroy();
    await db?.drop();
  });

  it('opens four data sources concurrently on an empty database: all succeed and each migration is applied once', async () => {
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => openDatabase(db.url)));
    for (const result of results) if (result.status === 'fulfilled') opened.push(result.value);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'opened'))).to.deep.equal(['opened', 'opened', 'opened', 'opened']);
    const applied: { name: string }[] = await opened[0]!.query(`SELECT name FROM migrations ORDER BY id`);
    expect(applied.map((row) => row.name)).to.deep.equal(MIGRATIONS.map((migration) => migration.name));
  });
});

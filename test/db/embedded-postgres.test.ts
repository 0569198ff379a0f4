import { expect } from 'chai';
import { openDatabase } from '../../src/db/data-source';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';

describe('embedded PostgreSQL (PGlite over pglite-socket)', function () {
  this.timeout(120_000);

  it('runs the same migrations through pg and TypeORM, transactions included', async () => {
    const embedded = await startEmbeddedPostgres({});
    try {
      const ds = await openDatabase(embedded.url);
      const rows: { table_name: string }[] = await ds.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY table_name`,
      );
      expect(rows.map((r) => r.table_name)).to.include.members(['connection', 'environment', 'integration']);
      await ds
        .transaction(async (tx) => {
          await tx.query(`INSERT INTO environment (name, secret_key_hash, secret_key_encrypted, webhook_signing_key_encrypted) VALUES ('rolled', repeat('b', 64), 'x', 'y')`);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      const [{ count }] = await ds.query(`SELECT count(*)::int AS count FROM environment WHERE name = 'rolled'`);
      expect(count).to.equal(0);
      await ds.destroy();
    } finally {
      await embedded.stop();
    }
  });
});

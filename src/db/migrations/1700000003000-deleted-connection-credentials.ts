import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A deleted connection keeps no credentials: `credentials_encrypted` becomes nullable, a live row must
 * still hold a value (CHECK), and rows soft-deleted before this migration are wiped now.
 */
export class DeletedConnectionCredentials1700000003000 implements MigrationInterface {
  name = 'DeletedConnectionCredentials1700000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connection ALTER COLUMN credentials_encrypted DROP NOT NULL`);
    await q.query(`UPDATE connection SET credentials_encrypted = NULL WHERE deleted_at IS NOT NULL`);
    await q.query(`ALTER TABLE connection ADD CONSTRAINT connection_live_has_credentials CHECK (deleted_at IS NOT NULL OR credentials_encrypted IS NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connection DROP CONSTRAINT connection_live_has_credentials`);
    // The wiped credentials are gone; an empty marker satisfies the old NOT NULL.
    await q.query(`UPDATE connection SET credentials_encrypted = '' WHERE credentials_encrypted IS NULL`);
    await q.query(`ALTER TABLE connection ALTER COLUMN credentials_encrypted SET NOT NULL`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Secret key rotation with an overlap: the replaced key's SHA-256 and the moment it stops working.
 * Backend auth accepts a key equal to `previous_secret_key_hash` while `now() < previous_secret_key_expires_at`,
 * read from the row on every lookup, so every API instance ends the overlap at the same moment.
 */
export class SecretKeyOverlap1700000004000 implements MigrationInterface {
  name = 'SecretKeyOverlap1700000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE environment ADD COLUMN previous_secret_key_hash char(64)`);
    await q.query(`ALTER TABLE environment ADD COLUMN previous_secret_key_expires_at timestamptz`);
    await q.query(`CREATE INDEX environment_previous_secret_key_hash ON environment (previous_secret_key_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX environment_previous_secret_key_hash`);
    await q.query(`ALTER TABLE environment DROP COLUMN previous_secret_key_expires_at`);
    await q.query(`ALTER TABLE environment DROP COLUMN previous_secret_key_hash`);
  }
}

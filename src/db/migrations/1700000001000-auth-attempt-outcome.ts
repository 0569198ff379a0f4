import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What an authorization attempt carries between its steps: the non-secret connection config and
 * authorization parameters it was started with, the credentials obtained (encrypted) before they are
 * stored, and the connection they ended up in. Lets each step be retried without repeating the one before.
 */
export class AuthAttemptOutcome1700000001000 implements MigrationInterface {
  name = 'AuthAttemptOutcome1700000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE auth_attempt
      ADD COLUMN auth_mode varchar(16) NOT NULL DEFAULT 'OAUTH2',
      ADD COLUMN connection_config jsonb NOT NULL DEFAULT '{}',
      ADD COLUMN authorization_params jsonb NOT NULL DEFAULT '{}',
      ADD COLUMN credentials_encrypted text,
      ADD COLUMN connection_row_id uuid REFERENCES connection(id) ON DELETE SET NULL,
      ADD COLUMN operation varchar(16)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE auth_attempt
      DROP COLUMN auth_mode, DROP COLUMN connection_config, DROP COLUMN authorization_params,
      DROP COLUMN credentials_encrypted, DROP COLUMN connection_row_id, DROP COLUMN operation`);
  }
}

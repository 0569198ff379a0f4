import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The secrets an auth-mode strategy keeps on an attempt between its redirect and its callback (a PKCE
 * verifier, an OAuth 1.0a request token secret…), as one encrypted JSON object bound to the row.
 * `pkce_verifier_encrypted` and `request_token_secret_encrypted` stay for attempts begun before this
 * migration (read once, then wiped with the rest); nothing writes them any more.
 */
export class AttemptSecrets1700000006000 implements MigrationInterface {
  name = 'AttemptSecrets1700000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE auth_attempt ADD COLUMN secrets_encrypted text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE auth_attempt DROP COLUMN secrets_encrypted`);
  }
}

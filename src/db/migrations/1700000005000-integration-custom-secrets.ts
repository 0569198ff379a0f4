import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Mode-specific secrets of an integration (a GitHub App's private key, an MCP client registration's
 * secret…), as one encrypted JSON object bound to the row. Non-secret settings stay in `custom` (jsonb).
 */
export class IntegrationCustomSecrets1700000005000 implements MigrationInterface {
  name = 'IntegrationCustomSecrets1700000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE integration ADD COLUMN custom_secrets_encrypted text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE integration DROP COLUMN custom_secrets_encrypted`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Auth mode names outgrew 16 characters (`MCP_OAUTH2_GENERIC` has 18): the attempt's column takes 32. */
export class AuthModeLength1700000007500 implements MigrationInterface {
  name = 'AuthModeLength1700000007500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE auth_attempt ALTER COLUMN auth_mode TYPE varchar(32)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE auth_attempt ALTER COLUMN auth_mode TYPE varchar(16)`);
  }
}

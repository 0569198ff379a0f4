import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a refresh attempt sent its request to the provider, kept until that attempt records an outcome.
 * An attempt that finds it set knows an earlier one may have been processed by the provider without
 * its answer reaching us (a timeout after sending, a worker that died mid-call): with a rotating
 * refresh token, a refusal that follows is a lost response (`refresh_response_lost`), not a revocation.
 */
export class RefreshAttemptMarker1700000002000 implements MigrationInterface {
  name = 'RefreshAttemptMarker1700000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connection ADD COLUMN refresh_attempt_started_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connection DROP COLUMN refresh_attempt_started_at`);
  }
}

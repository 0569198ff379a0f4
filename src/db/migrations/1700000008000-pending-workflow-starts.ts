import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Connections whose credentials were stored while their workflow could not be started or woken
 * (Temporal unreachable): the worker starts them once Temporal answers again.
 */
export class PendingWorkflowStarts1700000008000 implements MigrationInterface {
  name = 'PendingWorkflowStarts1700000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE pending_workflow_start (
      connection_row_id uuid PRIMARY KEY REFERENCES connection(id) ON DELETE CASCADE,
      since timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pending_workflow_start`);
  }
}

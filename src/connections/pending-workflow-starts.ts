/**
 * Connections whose workflow could not be started or woken after their credentials were stored (an
 * import while Temporal was unreachable answers 503 `temporal_unavailable`, but the row is stored). The
 * API records them here, only on that failure, and the worker retries them ({@link WorkflowStartRetrier}),
 * so a connection never stays without the workflow that keeps it valid, whether or not the caller retries.
 * The table is `pending_workflow_start` (PendingWorkflowStartEntity).
 */
import type { DataSource } from 'typeorm';
import type { ConnectionRef } from './connection-workflows';

const RECORD = `INSERT INTO pending_workflow_start (connection_row_id, since) VALUES ($1, $2)
  ON CONFLICT (connection_row_id) DO UPDATE SET since = GREATEST(pending_workflow_start.since, EXCLUDED.since)`;

const OLDEST = `SELECT p.connection_row_id AS "rowId", p.since, c.connection_id AS "connectionId",
    c.credentials_version AS "credentialsVersion", c.deleted_at AS "deletedAt", e.name AS "environment", i.unique_key AS "integration"
  FROM pending_workflow_start p
  JOIN connection c ON c.id = p.connection_row_id
  JOIN environment e ON e.id = c.environment_id
  JOIN integration i ON i.id = c.integration_id
  ORDER BY p.since LIMIT $1`;

// A failure recorded after the one this retry read stays: the retry may have told the workflow an older version.
const FORGET = `DELETE FROM pending_workflow_start WHERE connection_row_id = $1 AND since <= $2`;

/** One connection waiting for its workflow, with what starting it needs. */
export interface PendingWorkflowStart {
  since: Date;
  deleted: boolean;
  ref: ConnectionRef & { connection: { credentialsVersion: number } };
}

interface PendingRow {
  rowId: string;
  since: Date;
  connectionId: string;
  credentialsVersion: number;
  deletedAt: Date | null;
  environment: string;
  integration: string;
}

export class PendingWorkflowStarts {
  constructor(private readonly db: DataSource) {}

  /** The row's workflow was not told about its stored credentials. */
  async record(connectionRowId: string, now = new Date()): Promise<void> {
    await this.db.query(RECORD, [connectionRowId, now]);
  }

  /** The longest-waiting connections first. */
  async oldest(limit: number): Promise<PendingWorkflowStart[]> {
    const rows = (await this.db.query(OLDEST, [limit])) as PendingRow[];
    return rows.map((row) => ({
      since: row.since,
      deleted: row.deletedAt !== null,
      ref: {
        environment: { name: row.environment },
        integration: { uniqueKey: row.integration },
        connection: { id: row.rowId, connectionId: row.connectionId, credentialsVersion: row.credentialsVersion },
      },
    }));
  }

  /** Its workflow was told (or the connection is gone), unless a later failure was recorded since. */
  async forget(pending: PendingWorkflowStart): Promise<void> {
    await this.db.query(FORGET, [pending.ref.connection.id, pending.since]);
  }
}

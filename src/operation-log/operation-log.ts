/** Writes operation-log rows (refreshes, verifications, status changes, webhook attempts, deletions). Never pass a secret. */
import type { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { OperationLogEntity } from '../db/entities';

export type OperationType =
  | 'refresh'
  | 'verification'
  | 'status_change'
  | 'webhook'
  | 'deletion'
  | 'import'
  | 'metadata'
  | 'authorization';

export interface OperationLogLine {
  environmentId: string;
  connectionRowId?: string | null;
  authAttemptId?: string | null;
  type: OperationType;
  level: 'info' | 'warn' | 'error';
  message: string;
  context?: Record<string, unknown>;
}

export class OperationLog {
  constructor(private readonly db: DataSource) {}

  async write(line: OperationLogLine): Promise<void> {
    const repo = this.db.getRepository(OperationLogEntity);
    // insert, not save: one INSERT, without the transaction save wraps around it (two more round trips a line).
    await repo.insert(repo.create({
      environmentId: line.environmentId,
      connectionRowId: line.connectionRowId ?? null,
      authAttemptId: line.authAttemptId ?? null,
      type: line.type,
      level: line.level,
      message: line.message,
      context: line.context ?? {},
    }) as QueryDeepPartialEntity<OperationLogEntity>);
  }
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A connection whose workflow was not told about its stored credentials (Temporal was unreachable); written by PendingWorkflowStarts in SQL. */
@Entity({ name: 'pending_workflow_start' })
export class PendingWorkflowStartEntity {
  @PrimaryColumn({ name: 'connection_row_id', type: 'uuid' }) connectionRowId!: string;
  @Column({ type: 'timestamptz', default: () => 'now()' }) since!: Date;
}

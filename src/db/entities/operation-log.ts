import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One audit line (refresh, verification, status change, webhook attempt…); never holds a secret. */
@Entity({ name: 'operation_log' })
export class OperationLogEntity {
  /** bigint identity; pg returns it as a string. */
  @PrimaryColumn({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS' }) id!: string;
  @Column({ name: 'environment_id', type: 'uuid' }) environmentId!: string;
  @Column({ name: 'connection_row_id', type: 'uuid', nullable: true }) connectionRowId!: string | null;
  @Column({ name: 'auth_attempt_id', type: 'uuid', nullable: true }) authAttemptId!: string | null;
  @Column({ type: 'varchar', length: 64 }) type!: string;
  @Column({ type: 'varchar', length: 8 }) level!: 'info' | 'warn' | 'error';
  @Column({ type: 'text' }) message!: string;
  @Column({ type: 'jsonb', default: () => "'{}'" }) context!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

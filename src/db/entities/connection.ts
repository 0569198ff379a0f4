import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ConnectionStatus = 'active' | 'degraded' | 'invalid';

/** One end user's credentials for one integration. Credentials are one encrypted JSON blob. */
@Entity({ name: 'connection' })
export class ConnectionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'environment_id', type: 'uuid' }) environmentId!: string;
  @Column({ name: 'integration_id', type: 'uuid' }) integrationId!: string;
  @Column({ name: 'connection_id', type: 'varchar', length: 255 }) connectionId!: string;
  /** Null once the connection is deleted (a live row always holds one: CHECK in the migration). */
  @Column({ name: 'credentials_encrypted', type: 'text', nullable: true }) credentialsEncrypted!: string | null;
  /** Bumped on every credentials write; writes compare-and-swap on it. */
  @Column({ name: 'credentials_version', type: 'integer', default: 1 }) credentialsVersion!: number;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Column({ type: 'varchar', length: 16, default: 'active' }) status!: ConnectionStatus;
  @Column({ name: 'last_refresh_success_at', type: 'timestamptz', nullable: true }) lastRefreshSuccessAt!: Date | null;
  @Column({ name: 'last_refresh_failure_at', type: 'timestamptz', nullable: true }) lastRefreshFailureAt!: Date | null;
  @Column({ name: 'last_refresh_failure_reason', type: 'text', nullable: true }) lastRefreshFailureReason!: string | null;
  /** Set when a refresh attempt sent its request, cleared when it records an outcome: still set means its answer may be lost. */
  @Column({ name: 'refresh_attempt_started_at', type: 'timestamptz', nullable: true }) refreshAttemptStartedAt!: Date | null;
  @Column({ name: 'connection_config', type: 'jsonb', default: () => "'{}'" }) connectionConfig!: Record<string, unknown>;
  @Column({ type: 'jsonb', nullable: true }) metadata!: Record<string, unknown> | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) tags!: Record<string, string>;
  @Column({ name: 'end_user', type: 'jsonb', nullable: true }) endUser!: Record<string, unknown> | null;
  @Column({ name: 'webhook_url_override', type: 'text', nullable: true }) webhookUrlOverride!: string | null;
  @Column({ name: 'last_fetched_at', type: 'timestamptz', nullable: true }) lastFetchedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
}

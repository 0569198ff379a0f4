import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A short-lived token the Connect UI uses on an end user's behalf; only its hash is stored. */
@Entity({ name: 'connect_session' })
export class ConnectSessionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'token_hash', type: 'char', length: 64 }) tokenHash!: string;
  @Column({ name: 'environment_id', type: 'uuid' }) environmentId!: string;
  @Column({ name: 'end_user', type: 'jsonb', nullable: true }) endUser!: Record<string, unknown> | null;
  @Column({ type: 'jsonb', nullable: true }) organization!: Record<string, unknown> | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) tags!: Record<string, string>;
  @Column({ name: 'allowed_integrations', type: 'jsonb', nullable: true }) allowedIntegrations!: string[] | null;
  @Column({ name: 'integrations_config_defaults', type: 'jsonb', nullable: true }) integrationsConfigDefaults!: Record<string, unknown> | null;
  @Column({ name: 'webhook_url_override', type: 'text', nullable: true }) webhookUrlOverride!: string | null;
  /** Set for a reconnect session: the connection it re-authorizes. */
  @Column({ name: 'connection_row_id', type: 'uuid', nullable: true }) connectionRowId!: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

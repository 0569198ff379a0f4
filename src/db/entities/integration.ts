import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** One provider configured in one environment under a `unique_key` (Nango's provider_config_key). */
@Entity({ name: 'integration' })
export class IntegrationEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'environment_id', type: 'uuid' }) environmentId!: string;
  @Column({ name: 'unique_key', type: 'varchar', length: 255 }) uniqueKey!: string;
  @Column({ type: 'varchar', length: 255 }) provider!: string;
  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true }) displayName!: string | null;
  @Column({ name: 'client_id', type: 'text', nullable: true }) clientId!: string | null;
  @Column({ name: 'client_secret_encrypted', type: 'text', nullable: true }) clientSecretEncrypted!: string | null;
  @Column({ type: 'jsonb', default: () => "'[]'" }) scopes!: string[];
  @Column({ type: 'jsonb', default: () => "'{}'" }) custom!: Record<string, unknown>;
  /** Mode-specific secrets (a GitHub App's private key, an MCP client's secret…): encrypted JSON object, or null. */
  @Column({ name: 'custom_secrets_encrypted', type: 'text', nullable: true }) customSecretsEncrypted!: string | null;
  @Column({ name: 'forward_webhooks', type: 'boolean', default: true }) forwardWebhooks!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** An isolated tenant (`dev`, `prod`…) picked by its secret key. */
@Entity({ name: 'environment' })
export class EnvironmentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 64 }) name!: string;
  /** sha256 hex of the secret key: the lookup for backend auth. */
  @Column({ name: 'secret_key_hash', type: 'char', length: 64 }) secretKeyHash!: string;
  @Column({ name: 'secret_key_encrypted', type: 'text' }) secretKeyEncrypted!: string;
  /** sha256 hex of the key the last rotation replaced: still accepted until `previousSecretKeyExpiresAt`. */
  @Column({ name: 'previous_secret_key_hash', type: 'char', length: 64, nullable: true }) previousSecretKeyHash!: string | null;
  @Column({ name: 'previous_secret_key_expires_at', type: 'timestamptz', nullable: true }) previousSecretKeyExpiresAt!: Date | null;
  @Column({ name: 'webhook_signing_key_encrypted', type: 'text' }) webhookSigningKeyEncrypted!: string;
  @Column({ name: 'webhook_primary_url', type: 'text', nullable: true }) webhookPrimaryUrl!: string | null;
  @Column({ name: 'webhook_secondary_url', type: 'text', nullable: true }) webhookSecondaryUrl!: string | null;
  @Column({ name: 'on_auth_creation', type: 'boolean', default: true }) onAuthCreation!: boolean;
  @Column({ name: 'on_auth_refresh_error', type: 'boolean', default: true }) onAuthRefreshError!: boolean;
  @Column({ name: 'on_auth_refresh_recovered', type: 'boolean', default: false }) onAuthRefreshRecovered!: boolean;
  @Column({ name: 'on_connection_deleted', type: 'boolean', default: false }) onConnectionDeleted!: boolean;
  @Column({ name: 'callback_url', type: 'text', nullable: true }) callbackUrl!: string | null;
  @Column({ name: 'connect_ui_theme', type: 'varchar', length: 16, default: 'system' }) connectUiTheme!: string;
  @Column({ name: 'connect_ui_primary_color', type: 'varchar', length: 32, nullable: true }) connectUiPrimaryColor!: string | null;
  @Column({ name: 'connect_ui_logo_url', type: 'text', nullable: true }) connectUiLogoUrl!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

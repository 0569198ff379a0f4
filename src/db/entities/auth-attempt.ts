import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** One authorization attempt; its id is the OAuth `state`. Secrets of the flow live here, encrypted. */
@Entity({ name: 'auth_attempt' })
export class AuthAttemptEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'environment_id', type: 'uuid' }) environmentId!: string;
  @Column({ name: 'session_id', type: 'uuid', nullable: true }) sessionId!: string | null;
  @Column({ name: 'integration_id', type: 'uuid' }) integrationId!: string;
  @Column({ name: 'connection_id', type: 'varchar', length: 255 }) connectionId!: string;
  @Column({ name: 'pkce_verifier_encrypted', type: 'text', nullable: true }) pkceVerifierEncrypted!: string | null;
  @Column({ name: 'request_token_secret_encrypted', type: 'text', nullable: true }) requestTokenSecretEncrypted!: string | null;
  @Column({ name: 'callback_params_encrypted', type: 'text', nullable: true }) callbackParamsEncrypted!: string | null;
  @Column({ type: 'varchar', length: 16, default: 'pending' }) status!: string;
  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true }) errorCode!: string | null;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ name: 'ws_client_id', type: 'varchar', length: 64, nullable: true }) wsClientId!: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

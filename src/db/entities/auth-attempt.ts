import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** One authorization attempt; its id is the OAuth `state`. Secrets of the flow live here, encrypted. */
@Entity({ name: 'auth_attempt' })
export class AuthAttemptEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'environment_id', type: 'uuid' }) environmentId!: string;
  @Column({ name: 'session_id', type: 'uuid', nullable: true }) sessionId!: string | null;
  @Column({ name: 'integration_id', type: 'uuid' }) integrationId!: string;
  @Column({ name: 'connection_id', type: 'varchar', length: 255 }) connectionId!: string;
  /** What the auth mode keeps until the callback (PKCE verifier, request token secret…): encrypted JSON object. */
  @Column({ name: 'secrets_encrypted', type: 'text', nullable: true }) secretsEncrypted!: string | null;
  /** Legacy (attempts begun before secrets_encrypted): read once, never written. */
  @Column({ name: 'pkce_verifier_encrypted', type: 'text', nullable: true }) pkceVerifierEncrypted!: string | null;
  /** Legacy (attempts begun before secrets_encrypted): read once, never written. */
  @Column({ name: 'request_token_secret_encrypted', type: 'text', nullable: true }) requestTokenSecretEncrypted!: string | null;
  @Column({ name: 'callback_params_encrypted', type: 'text', nullable: true }) callbackParamsEncrypted!: string | null;
  @Column({ type: 'varchar', length: 16, default: 'pending' }) status!: string;
  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true }) errorCode!: string | null;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ name: 'ws_client_id', type: 'varchar', length: 64, nullable: true }) wsClientId!: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'auth_mode', type: 'varchar', length: 32, default: 'OAUTH2' }) authMode!: string;
  /** Non-secret: `params[...]` of the request (subdomain…), validated against the provider's fields. */
  @Column({ name: 'connection_config', type: 'jsonb', default: () => "'{}'" }) connectionConfig!: Record<string, unknown>;
  @Column({ name: 'authorization_params', type: 'jsonb', default: () => "'{}'" }) authorizationParams!: Record<string, string>;
  /** The credentials obtained, between the exchange and the connection write. */
  @Column({ name: 'credentials_encrypted', type: 'text', nullable: true }) credentialsEncrypted!: string | null;
  @Column({ name: 'connection_row_id', type: 'uuid', nullable: true }) connectionRowId!: string | null;
  /** `creation` or `override`, once stored. */
  @Column({ type: 'varchar', length: 16, nullable: true }) operation!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
